// jsdom has no layout: every element measures 0 × 0. The chat view's
// virtualised list needs sizes to decide what to render, so tests get a
// fixed one: a 600 px tall scrolling area and 48 px tall rows.

const VIEWPORT = { width: 800, height: 600 };
const ROW_HEIGHT = 48;

function measured(name: 'clientHeight' | 'clientWidth' | 'offsetHeight', size: (el: HTMLElement) => number) {
  Object.defineProperty(HTMLElement.prototype, name, {
    configurable: true,
    get(this: HTMLElement) {
      return size(this);
    },
  });
}

measured('clientHeight', (el) => (el.classList.contains('scroller') ? VIEWPORT.height : 0));
measured('clientWidth', (el) => (el.classList.contains('scroller') ? VIEWPORT.width : 0));
measured('offsetHeight', (el) => (el.classList.contains('row') ? ROW_HEIGHT : 0));
