// The page's loader: wasm-bindgen's glue starts the app (www/src/main.rs). A file, not an
// inline script, so the Content-Security-Policy needs no hash or 'unsafe-inline'.
import init, * as bindings from './bedrock-wasm-playground.js';

await init({ module_or_path: new URL('./bedrock-wasm-playground_bg.wasm', import.meta.url) });
// The exports, for tests (the test build's `__testPanic`).
window.wasmBindings = bindings;
