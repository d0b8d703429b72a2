// Docker's multiplexed output and Spin's log frames (api/log-frames.ts) share one layout: an
// 8-byte header whose bytes 4-7 are the payload's length (big-endian), then the payload. This
// cuts whole frames out of chunks as they arrive; a frame may span chunks.

export const FRAME_HEADER = 8;

export class FrameSplitter {
  private buffer: Buffer = Buffer.alloc(0);
  /** The length to read for a header's declared length: capped, or refused by throwing. */
  private readonly bound: (length: number) => number;

  constructor(bound: (length: number) => number) {
    this.bound = bound;
  }

  push(chunk: Buffer): {header: Buffer; payload: Buffer}[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const out: {header: Buffer; payload: Buffer}[] = [];
    while (this.buffer.length >= FRAME_HEADER) {
      const length = this.bound(this.buffer.readUInt32BE(4));
      if (this.buffer.length < FRAME_HEADER + length) break;
      out.push({header: this.buffer.subarray(0, FRAME_HEADER), payload: this.buffer.subarray(FRAME_HEADER, FRAME_HEADER + length)});
      this.buffer = this.buffer.subarray(FRAME_HEADER + length);
    }
    return out;
  }

  /** True when a frame was cut off (at the end of a stream). */
  get partial(): boolean {
    return this.buffer.length > 0;
  }
}
