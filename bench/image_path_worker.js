// Benchmark worker (a module worker): the image path's options for one picture, each run
// `runs` times after a warm-up, in the same kind of worker the page predicts in. Served by
// bench/ into the app's origin; never part of the app.
//   blob-steps:     the file decoded here, then each step on its own (no fusion)
//   blob-fused:     the file decoded here, the page's pipeline (flatten_alpha + resize fused)
//   bitmap:         decoded by the page (createImageBitmap), the ImageBitmap transferred here
//   videoframe:     that bitmap read with VideoFrame.copyTo instead of a canvas
let pre = null;
let common = null;

const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];

async function videoFrameImage(bitmap) {
  const frame = new VideoFrame(bitmap, { timestamp: 0 });
  const data = new Uint8ClampedArray(frame.displayWidth * frame.displayHeight * 4);
  await frame.copyTo(data, { format: 'RGBA' });
  const img = { data, height: frame.displayHeight, width: frame.displayWidth, channels: 4 };
  frame.close();
  bitmap.close();
  return img;
}

self.onmessage = async ({ data }) => {
  const { staticUrl, option, steps, blob, bitmaps } = data;
  try {
    pre = pre || await import(`${staticUrl}steps/image.js`);
    common = common || await import(`${staticUrl}steps/common.js`);
    const times = [];
    let out = null;
    const n = option === 'bitmap' || option === 'videoframe' ? bitmaps.length : data.runs + 1;
    for (let i = 0; i < n; i += 1) {
      const t0 = performance.now();
      if (option === 'blob-steps') {
        let img = await pre.decode(blob, 'photo');
        for (const step of steps) img = common.runStep(pre.STEPS, img, step);
        out = img;
      } else if (option === 'blob-fused') {
        out = await pre.prepareImage(blob, steps, 'photo');
      } else if (option === 'bitmap') {
        out = await pre.prepareImage(bitmaps[i], steps, 'photo');
      } else {
        out = pre.run(await videoFrameImage(bitmaps[i]), steps, 'photo');
      }
      if (i > 0) times.push(performance.now() - t0);  // the first compiles the code
    }
    self.postMessage({ ms: median(times), runs: times.length, values: Array.from(out.data) });
  } catch (err) {
    self.postMessage({ error: err.message });
  }
};
