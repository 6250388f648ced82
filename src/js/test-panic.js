
// Test builds only (`cargo xtask test-npm` appends this to index.js in target/pkg-test): the
// core's panicking export, called through the safety net as every export is.
import { __testPanic as corePanic } from './bedrock_wasm.js';

export const __testPanic = (inTask) =>
  inTask ? guarded(() => corePanic(true)) : sync(() => corePanic(false));

// The voice module's panicking export (loading the module first, as a call that speaks does).
export const __testVoicePanic = async () => {
  const v = await voice();
  return sync(() => v.__testPanic());
};
