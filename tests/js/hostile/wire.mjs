// An event-stream frame writer for the hostile servers, written from the format itself
// (BEDROCK.md §4): independent of the package's reader and of the emulator.

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const enc = new TextEncoder();

/** One frame: `headers` is [[name, stringValue], …] (type 7), `payload` a string or bytes. */
export function frame(headers, payload) {
  const parts = [];
  for (const [name, value] of headers) {
    const n = enc.encode(name);
    const v = enc.encode(value);
    const h = new Uint8Array(1 + n.length + 1 + 2 + v.length);
    h[0] = n.length;
    h.set(n, 1);
    h[1 + n.length] = 7;
    new DataView(h.buffer).setUint16(2 + n.length, v.length);
    h.set(v, 4 + n.length);
    parts.push(h);
  }
  return rawFrame(concat(parts), typeof payload === 'string' ? enc.encode(payload) : payload);
}

/** A frame from an already-encoded header block. */
export function rawFrame(headerBlock, payload) {
  const total = 12 + headerBlock.length + payload.length + 4;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, total);
  dv.setUint32(4, headerBlock.length);
  dv.setUint32(8, crc32(out.subarray(0, 8)));
  out.set(headerBlock, 12);
  out.set(payload, 12 + headerBlock.length);
  dv.setUint32(total - 4, crc32(out.subarray(0, total - 4)));
  return out;
}

export function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A ConverseStream event frame. `json` is the payload text, written as given. */
export const converseEvent = (type, json) =>
  frame(
    [
      [':event-type', type],
      [':content-type', 'application/json'],
      [':message-type', 'event'],
    ],
    json,
  );

/** An InvokeModelWithResponseStream chunk frame carrying `modelJson` (a string). */
export const chunkEvent = (modelJson) =>
  frame(
    [
      [':event-type', 'chunk'],
      [':content-type', 'application/json'],
      [':message-type', 'event'],
    ],
    JSON.stringify({ bytes: Buffer.from(modelJson).toString('base64') }),
  );

export const EVENTSTREAM = 'application/vnd.amazon.eventstream';
