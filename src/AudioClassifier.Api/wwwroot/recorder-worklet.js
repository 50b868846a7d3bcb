"use strict";
// The microphone recording's audio-thread half (an AudioWorklet, which replaced the deprecated ScriptProcessorNode):
// copies the first input channel into 4096-sample chunks and posts each to the page; it keeps at most maxSamples
// (processorOptions) and says "full" when it has them; on "stop" it posts what it holds and then "stopped", so the page
// encodes every sample recorded.
class PcmRecorder extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.chunk = new Float32Array(4096);
    this.filled = 0;
    this.left = options.processorOptions.maxSamples;
    this.stopped = false;
    this.port.onmessage = (e) => {
      if (e.data !== "stop") return;
      this.flush();
      this.stopped = true;
      this.port.postMessage("stopped");
    };
  }

  flush() {
    if (this.filled > 0) this.port.postMessage(this.chunk.slice(0, this.filled));
    this.filled = 0;
  }

  process(inputs) {
    if (this.stopped) return false;
    const channel = inputs[0] && inputs[0][0];
    if (!channel || this.left <= 0) return true;
    const take = Math.min(channel.length, this.left);
    this.left -= take;
    let offset = 0;
    while (offset < take) {
      const n = Math.min(take - offset, this.chunk.length - this.filled);
      this.chunk.set(channel.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === this.chunk.length) {
        this.port.postMessage(this.chunk, [this.chunk.buffer]); // handed over, not copied
        this.chunk = new Float32Array(4096);
        this.filled = 0;
      }
    }
    if (this.left <= 0) {
      this.flush();
      this.port.postMessage("full");
    }
    return true;
  }
}
registerProcessor("pcm-recorder", PcmRecorder);
