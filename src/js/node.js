// Node.js entry (the `node` export condition): the same API, with the wasm read from disk,
// since Node's fetch cannot load file: URLs.
import { readFile } from 'node:fs/promises';
import { __wasmSource } from './index.js';

__wasmSource.get = () => readFile(new URL('./bedrock_wasm_bg.wasm', import.meta.url));
__wasmSource.voice = () => readFile(new URL('./bedrock_wasm_voice_bg.wasm', import.meta.url));

export * from './index.js';
export { default } from './index.js';
