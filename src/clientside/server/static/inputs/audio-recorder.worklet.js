// The microphone's samples, as they come (128 a block, every channel), posted to the page's
// audio input (inputs/audio.js). An AudioWorklet module: loaded by audioWorklet.addModule.
class Recorder extends AudioWorkletProcessor {
  process(inputs) {
    const input = inputs[0];
    if (input && input.length) this.port.postMessage(input.map((channel) => channel.slice()));
    return true;
  }
}

registerProcessor('clientside-recorder', Recorder);
