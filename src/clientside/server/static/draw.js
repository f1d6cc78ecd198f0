// A drawing pad: dark ink on white, like paper; mouse, pen and touch through pointer events.

export class DrawingPad {
  constructor(canvas, { lineWidth = 20, onChange = () => {} } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.lineWidth = lineWidth;
    this.onChange = onChange;
    this.hasInk = false;
    this.last = null;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => this.#down(e));
    canvas.addEventListener('pointermove', (e) => this.#move(e));
    for (const type of ['pointerup', 'pointercancel', 'pointerleave']) {
      canvas.addEventListener(type, () => { this.last = null; });
    }
  }

  clear() {
    this.ctx.fillStyle = '#fff';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.hasInk = false;
    this.onChange(this);
  }

  #point(e) {
    const r = this.canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * (this.canvas.width / r.width),
      (e.clientY - r.top) * (this.canvas.height / r.height)];
  }

  #down(e) {
    e.preventDefault();
    try {
      this.canvas.setPointerCapture(e.pointerId);  // keep the stroke when it leaves the pad
    } catch { /* synthetic or already-released pointer: draw without capture */ }
    this.last = this.#point(e);
    this.#stroke(this.last, this.last);
  }

  #move(e) {
    if (!this.last) return;
    e.preventDefault();
    const p = this.#point(e);
    this.#stroke(this.last, p);
    this.last = p;
  }

  #stroke(from, to) {
    const { ctx } = this;
    ctx.strokeStyle = '#000';
    ctx.lineWidth = this.lineWidth;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(...from);
    ctx.lineTo(...to);
    ctx.stroke();
    if (!this.hasInk) {
      this.hasInk = true;
      this.onChange(this);
    }
  }

  toBlob() {
    return new Promise((resolve) => this.canvas.toBlob(resolve, 'image/png'));
  }
}
