// Minimal stand-ins for the Polaris web components Tally's UI extensions render, enough to see and use them
// in a browser: layout, text, banners, buttons (with `command="--copy"`), selects, links, clipboard items.
// Shopify renders the real ones; these keep their tag names, attributes, properties and events.

const css = String.raw;
const BASE = css`
  :host { display: block; box-sizing: border-box; font: 15px/1.5 system-ui, sans-serif; color: #1c1c1c; }
  :host([hidden]) { display: none; }
`;

function define(tag, render, options = {}) {
  class Element extends HTMLElement {
    static observedAttributes = options.attributes || [];
    connectedCallback() { this.draw(); }
    attributeChangedCallback() { this.draw(); }
    draw() {
      if (!this.shadowRoot) this.attachShadow({ mode: 'open' });
      this.shadowRoot.innerHTML = `<style>${BASE}${options.style || ''}</style>${render(this)}`;
      if (options.wire) options.wire(this);
    }
  }
  if (options.extend) options.extend(Element);
  customElements.define(tag, Element);
}

const attr = (el, name) => (el.getAttribute(name) || '').replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const GAP = { 'small-100': '4px', 'small-200': '8px', base: '16px', large: '24px', none: '0' };

define('s-page', (el) => `<h1>${attr(el, 'heading')}</h1><slot></slot>`, {
  attributes: ['heading'],
  style: css`:host { padding: 24px; max-width: 720px; margin: 0 auto; } h1 { font-size: 26px; margin: 0 0 16px; }`,
});
define('s-section', (el) => (el.getAttribute('heading') ? `<h2>${attr(el, 'heading')}</h2>` : '') + '<slot></slot>', {
  attributes: ['heading'],
  style: css`:host { background: #fff; border: 1px solid #e3e3e3; border-radius: 12px; padding: 16px; }
    h2 { font-size: 17px; margin: 0 0 12px; }`,
});
define('s-stack', () => '<div part="stack"><slot></slot></div>', {
  attributes: ['direction', 'gap'],
  wire: (el) => {
    const div = el.shadowRoot.querySelector('div');
    const inline = el.getAttribute('direction') === 'inline';
    div.style.cssText = `display: flex; flex-direction: ${inline ? 'row' : 'column'}; flex-wrap: wrap; align-items: ${inline ? 'center' : 'stretch'}; gap: ${GAP[el.getAttribute('gap')] || '0'}`;
  },
});
define('s-box', () => '<slot></slot>', {
  attributes: ['padding', 'border'],
  style: css`:host { padding: 12px 16px; border: 1px solid #e3e3e3; border-radius: 8px; }`,
});
define('s-text', () => '<slot></slot>', {
  attributes: ['type', 'color', 'tone'],
  style: css`:host { display: inline; } :host([type="strong"]) { font-weight: 650; }
    :host([color="subdued"]) { color: #5c5c5c; } :host([tone="critical"]) { color: #b3261e; }`,
});
define('s-heading', () => '<h3><slot></slot></h3>', { style: css`h3 { font-size: 20px; margin: 0; }` });
define('s-paragraph', () => '<p><slot></slot></p>', { style: css`p { margin: 0; }` });
define('s-skeleton-paragraph', () => '<div></div>', {
  style: css`div { height: 1.2em; width: 60%; border-radius: 4px; background: #ececec; }`,
});
define('s-banner', (el) => (el.getAttribute('heading') ? `<strong>${attr(el, 'heading')}</strong>` : '') + '<slot></slot>', {
  attributes: ['heading', 'tone'],
  style: css`:host { padding: 12px 16px; border-radius: 8px; background: #eef4ff; border: 1px solid #b6ccf5; }
    :host([tone="success"]) { background: #e9f7ee; border-color: #9fd5b1; }
    :host([tone="critical"]) { background: #fdecea; border-color: #f1a9a2; color: #8c1d18; }
    strong { display: block; margin-bottom: 4px; }`,
});
define('s-badge', () => '<slot></slot>', {
  style: css`:host { display: inline-block; padding: 0 8px; border-radius: 8px; background: #ececec; font-size: 13px; }`,
});
define('s-divider', () => '<hr>', { style: css`hr { border: 0; border-top: 1px solid #e3e3e3; }` });
define('s-clipboard-item', () => '', { attributes: ['text'], style: css`:host { display: none; }` });
define('s-option', () => '', { attributes: ['value'], style: css`:host { display: none; }` });

define(
  's-button',
  (el) => `<button type="button" ${el.hasAttribute('disabled') || el.hasAttribute('loading') ? 'disabled' : ''}
    aria-busy="${el.hasAttribute('loading')}">${el.hasAttribute('loading') ? '…' : '<slot></slot>'}</button>`,
  {
    attributes: ['disabled', 'loading', 'variant', 'command', 'commandfor'],
    style: css`:host { display: inline-block; }
      button { font: inherit; padding: 8px 16px; border-radius: 8px; border: 1px solid #8a8a8a; background: #fff;
        color: #1c1c1c; cursor: pointer; min-width: 44px; }
      :host([variant="primary"]) button { background: #1c1c1c; color: #fff; border-color: #1c1c1c; }
      button:disabled { opacity: .45; cursor: not-allowed; }`,
    wire: (el) => {
      el.shadowRoot.querySelector('button').addEventListener('click', (event) => {
        if (el.hasAttribute('disabled') || el.hasAttribute('loading')) event.stopPropagation();
      });
    },
    extend: (Element) => {
      Element.prototype.connectedCallback = function () {
        this.draw();
        if (this.wired) return;
        this.wired = true;
        // A disabled button's clicks do not reach the extension; `--copy` copies its clipboard item.
        this.addEventListener('click', (event) => {
          if (this.hasAttribute('disabled') || this.hasAttribute('loading')) {
            event.stopImmediatePropagation();
            return;
          }
          if (this.getAttribute('command') === '--copy') {
            const item = document.getElementById(this.getAttribute('commandfor') || '');
            const text = item ? item.getAttribute('text') || '' : '';
            const done = () => item && item.dispatchEvent(new Event('copy'));
            navigator.clipboard ? navigator.clipboard.writeText(text).then(done, done) : done();
          }
        }, true);
      };
    },
  },
);

define('s-link', () => '<a href="#"><slot></slot></a>', {
  attributes: ['href'],
  style: css`:host { display: inline; } a { color: #1a4fd6; }`,
  wire: (el) => {
    el.shadowRoot.querySelector('a').addEventListener('click', (event) => {
      event.preventDefault();
      const href = el.getAttribute('href') || '';
      window.location.href = href.startsWith('extension:') ? window.shopifyHost.fullPage : href;
    });
  },
});

define(
  's-select',
  (el) => `<label>${attr(el, 'label')}<select>${[...el.querySelectorAll('s-option')]
    .map((o) => `<option value="${attr(o, 'value')}">${(o.textContent || '').replace(/[&<>]/g, '')}</option>`)
    .join('')}</select></label>`,
  {
    attributes: ['label'],
    style: css`label { display: flex; flex-direction: column; gap: 4px; font-size: 13px; color: #5c5c5c; }
      select { font: inherit; font-size: 15px; padding: 8px; border-radius: 8px; border: 1px solid #8a8a8a; color: #1c1c1c; }`,
    wire: (el) => {
      const select = el.shadowRoot.querySelector('select');
      if (el._value !== undefined) select.value = el._value;
      select.addEventListener('change', () => {
        el._value = select.value;
        el.dispatchEvent(new Event('change'));
      });
      // Options arrive after the select: draw again when they do.
      if (!el._watching) {
        el._watching = new MutationObserver(() => el.draw());
        el._watching.observe(el, { childList: true, subtree: true, characterData: true });
      }
    },
    extend: (Element) => {
      Object.defineProperty(Element.prototype, 'value', {
        get() { return this._value ?? this.querySelector('s-option')?.getAttribute('value') ?? ''; },
        set(value) {
          this._value = String(value);
          const select = this.shadowRoot && this.shadowRoot.querySelector('select');
          if (select) select.value = this._value;
        },
      });
    },
  },
);
