
// Test builds only (`cargo xtask test-npm` appends this to index.js in target/pkg-test): the
// core's panicking export, called through the safety net as every export is.
import { __testPanic as corePanic } from './bedrock_wasm.js';

export const __testPanic = (inTask) =>
  inTask ? guarded(() => corePanic(true)) : sync(() => corePanic(false));
