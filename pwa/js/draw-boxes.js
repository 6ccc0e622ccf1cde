// Drag a rectangle on a photo at moderation to blur it (#17), loaded only where the review
// page shows a photo. The drawn box goes to the server as box="x,y,w,h" in the photo's pixels;
// a plain click still submits the click's point (the no-JavaScript way).
export function mount(form) {
  const img = form.querySelector('input[type="image"]');
  const svg = form.querySelector('svg');
  const shown = Number(form.elements.shown.value);
  if (!img || !svg || !shown) return;
  const scale = svg.viewBox.baseVal.width / shown;
  let start = null;
  let rect = null;
  let dragged = false;
  const at = (e) => {
    const r = img.getBoundingClientRect();
    return [Math.round((e.clientX - r.left) * scale), Math.round((e.clientY - r.top) * scale)];
  };
  const box = (e) => {
    const [x, y] = at(e);
    return [Math.min(x, start[0]), Math.min(y, start[1]), Math.abs(x - start[0]), Math.abs(y - start[1])];
  };
  img.addEventListener('pointerdown', (e) => {
    start = at(e);
    dragged = false;
    rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
    svg.append(rect);
    img.setPointerCapture(e.pointerId);
    e.preventDefault();
  });
  img.addEventListener('pointermove', (e) => {
    if (!start) return;
    const b = box(e);
    dragged = dragged || b[2] > 8 * scale || b[3] > 8 * scale;
    ['x', 'y', 'width', 'height'].forEach((name, i) => rect.setAttribute(name, b[i]));
  });
  img.addEventListener('pointerup', (e) => {
    if (!start) return;
    const b = box(e);
    start = null;
    if (!dragged) { rect.remove(); return; }
    const field = document.createElement('input');
    field.type = 'hidden';
    field.name = 'box';
    field.value = b.join(',');
    form.append(field);
    form.submit();
  });
  img.addEventListener('click', (e) => { if (dragged) e.preventDefault(); });
}
