/*
 * Tally's loyalty widget. Everything goes through the shop's app proxy (data-proxy, /apps/tally), which
 * Shopify signs and forwards to Tally as the logged-in customer; nothing here names a customer. A redemption
 * carries an Idempotency-Key that is kept until Tally gives a final answer, so a double click, or a retry
 * after a lost answer, redeems once. Its words come from the block (data-strings), in the shopper's language;
 * numbers and dates are written by Intl in the page's language.
 */
(function () {
  'use strict';

  // Tally's error codes, and the locale's sentence for each (errors.* in the block's strings).
  var ERRORS = {
    INSUFFICIENT_POINTS: 'insufficient_points', SHOPIFY_UNAVAILABLE: 'shopify_unavailable', TRY_AGAIN: 'try_again',
    REQUEST_IN_PROGRESS: 'in_progress', RULE_INACTIVE: 'reward_unavailable', RULE_NOT_FOUND: 'reward_unavailable',
    TIER_RESTRICTED: 'tier_restricted', CUSTOMER_EXCLUDED: 'excluded', CUSTOMER_NOT_ENROLLED: 'not_member',
    CUSTOMER_NOT_FOUND: 'not_member', VARIANT_REQUIRED: 'variant_required', VARIANT_NOT_FOUND: 'variant_not_found',
    INVALID_POINTS: 'invalid_points', NOT_LOGGED_IN: 'not_logged_in', UNAUTHORIZED: 'session_expired',
    SHOP_UNINSTALLED: 'shop_uninstalled', IDEMPOTENCY_KEY_REUSED: 'retry', INVALID_REQUEST: 'invalid_request',
    SERVICE_UNAVAILABLE: 'service_unavailable', NETWORK: 'network'
  };
  // Why an option is out of reach, by Tally's unavailableReason.
  var REASONS = {
    INSUFFICIENT_POINTS: function (w, o) { return w.count('reasons.need_more', o.pointsNeeded); },
    TIER_RESTRICTED: function (w, o) { return w.text('reasons.tier', { tier: o.vipTier }); },
    CUSTOMER_EXCLUDED: function (w) { return w.text('reasons.excluded'); },
    CUSTOMER_NOT_ENROLLED: function (w) { return w.text('reasons.not_enrolled'); }
  };
  // The variants' product names, from the Storefront API (tokenless, as a theme's script may call it), in the
  // page's language.
  var PRODUCT_NAMES = 'query TallyRewardProducts($ids: [ID!]!, $language: LanguageCode) @inContext(language: $language) ' +
    '{ nodes(ids: $ids) { ... on ProductVariant { id title product { title } } } }';
  // Whether a redemption's outcome is known: done (200), or refused by Tally with nothing taken (a 4xx with
  // its code, or SHOPIFY_UNAVAILABLE). Anything else (no answer, a timeout on the way, a page that is not
  // Tally's, 202, REQUEST_IN_PROGRESS, TRY_AGAIN) leaves it open, and the retry carries the same key.
  function settled(answer) {
    var code = answer.body && answer.body.error && answer.body.error.code;
    if (answer.status === 200) return true;
    if (answer.status >= 400 && answer.status < 500) return !!code && code !== 'REQUEST_IN_PROGRESS';
    return code === 'SHOPIFY_UNAVAILABLE';
  }
  var lang = document.documentElement.lang || undefined;
  var plurals = window.Intl && Intl.PluralRules ? new Intl.PluralRules(lang) : null;

  function number(n) { return new Intl.NumberFormat(lang).format(n); }
  function date(iso) { return new Intl.DateTimeFormat(lang, { dateStyle: 'medium' }).format(new Date(iso)); }
  function money(amount, currency) {
    try { return new Intl.NumberFormat(lang, { style: 'currency', currency: currency }).format(amount); }
    catch (e) { return amount + ' ' + currency; }
  }
  function key() {
    return window.crypto && crypto.randomUUID ? crypto.randomUUID() : Date.now() + '-' + Math.random().toString(36).slice(2);
  }
  // The block's texts (blocks/loyalty.liquid). Shopify's `t` escapes them for HTML and the widget writes text,
  // so each is read back through an element that decodes the entities.
  function strings(root) {
    var node = root.querySelector('script[data-strings]'), decoder = document.createElement('textarea'), texts = {};
    var raw = {};
    try { raw = JSON.parse(node.textContent); } catch (e) { /* the names show instead of the texts */ }
    Object.keys(raw).forEach(function (name) { decoder.innerHTML = raw[name]; texts[name] = decoder.value; });
    return texts;
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === 'text') node.textContent = attrs[name];
      else if (name.slice(0, 2) === 'on') node.addEventListener(name.slice(2), attrs[name]);
      else if (attrs[name] != null && attrs[name] !== false) node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function Widget(root) {
    this.root = root;
    this.proxy = root.getAttribute('data-proxy');
    this.find = function (name) { return root.querySelector('[data-' + name + ']'); };
    this.strings = strings(root);
    this.products = {}; // variant id: its product's name, or null once asked for in vain
    this.busy = false;
    this.attempt = null; // { body, key } of a redemption whose outcome is not known yet
  }

  // The text `name` with its [placeholders] filled from `values`.
  Widget.prototype.text = function (name, values) {
    var text = this.strings[name];
    if (text == null) return name;
    return text.replace(/\[(\w+)\]/g, function (whole, field) {
      return values && values[field] != null ? String(values[field]) : whole;
    });
  };

  // A text about `n` points ([points]), in the plural form the page's language takes (name_one, name_other).
  Widget.prototype.count = function (name, n, values) {
    var form = name + '_' + (plurals ? plurals.select(n) : n === 1 ? 'one' : 'other');
    var filled = { points: number(n) };
    Object.keys(values || {}).forEach(function (field) { filled[field] = values[field]; });
    return this.text(this.strings[form] != null ? form : name + '_other', filled);
  };

  Widget.prototype.call = function (method, path, body, idempotencyKey) {
    var headers = { Accept: 'application/json' };
    if (body) headers['Content-Type'] = 'application/json';
    // The key goes in the query too, which the app proxy signs and forwards whatever it does with headers.
    if (idempotencyKey) {
      headers['Idempotency-Key'] = idempotencyKey;
      path += '?idempotency_key=' + encodeURIComponent(idempotencyKey);
    }
    return fetch(this.proxy + '/api/' + path, {
      method: method, headers: headers, credentials: 'same-origin', body: body ? JSON.stringify(body) : undefined
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        return { status: response.status, body: json };
      });
    }, function () { return { status: 0, body: { error: { code: 'NETWORK' } } }; });
  };

  // The product names of the variants the choosers offer, asked for once a page. A variant left unnamed (no
  // answer within 3 seconds, or none for it) shows a numbered label instead.
  Widget.prototype.names = function (options) {
    var self = this, api = this.root.getAttribute('data-storefront-api'), ids = [];
    options.forEach(function (option) {
      if (!option.available || (option.variantIds || []).length < 2) return;
      option.variantIds.forEach(function (id) { if (!(id in self.products) && ids.indexOf(id) < 0) ids.push(id); });
    });
    if (!api || !ids.length || !window.fetch) return Promise.resolve();
    ids.forEach(function (id) { self.products[id] = null; });
    var request = {
      query: PRODUCT_NAMES,
      variables: {
        ids: ids.map(function (id) { return 'gid://shopify/ProductVariant/' + id; }),
        language: (lang || 'en').split('-')[0].toUpperCase()
      }
    };
    var asked = fetch(api, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(request)
    }).then(function (response) { return response.json(); }).then(function (answer) {
      ((answer.data && answer.data.nodes) || []).forEach(function (node) {
        if (!node || !node.product) return;
        var variant = node.title && node.title !== 'Default Title' ? ' – ' + node.title : '';
        self.products[String(node.id).split('/').pop()] = node.product.title + variant;
      });
    }).catch(function () { /* the numbered labels stay */ });
    return Promise.race([asked, new Promise(function (resolve) { setTimeout(resolve, 3000); })]);
  };

  Widget.prototype.say = function (text, isError) {
    var status = this.find('status');
    status.classList.toggle('tally__status--error', !!isError);
    status.textContent = text;
  };

  Widget.prototype.error = function (answer) {
    var error = (answer.body && answer.body.error) || {};
    this.say(this.text('errors.' + (ERRORS[error.code] || 'service_unavailable')), true);
  };

  Widget.prototype.load = function () {
    var self = this, body = this.root.querySelector('.tally__body');
    return Promise.all([this.call('GET', 'customer-loyalty'), this.call('GET', 'point-redeem-rules')]).then(function (answers) {
      if (answers[0].status !== 200) {
        body.removeAttribute('aria-busy');
        self.find('options').textContent = '';
        return self.error(answers[0]);
      }
      self.loyalty(answers[0].body);
      if (answers[1].status !== 200) {
        body.removeAttribute('aria-busy');
        return self.error(answers[1]);
      }
      // The options are drawn once their products have names, in the rows kept for them meanwhile.
      return self.names(answers[1].body).then(function () {
        body.removeAttribute('aria-busy');
        self.options(answers[1].body);
      });
    });
  };

  Widget.prototype.loyalty = function (loyalty) {
    var self = this;
    this.currency = loyalty.currency;
    this.find('points').textContent = this.count('widget.points', loyalty.availablePoints);
    var expiry = this.find('expiry');
    expiry.textContent = loyalty.pointsExpireAt && loyalty.expiringPointsAmount
      ? this.count('widget.expiring', loyalty.expiringPointsAmount, { date: date(loyalty.pointsExpireAt) })
      : '\u00a0';
    var list = this.find('rewards');
    list.textContent = '';
    (loyalty.rewards || []).forEach(function (reward) {
      // A code Shopify never created is not shown.
      var what = reward.discountCode && reward.status !== 'FAILED' ? el('code', { text: reward.discountCode }) : null;
      var status = self.strings['statuses.' + reward.status.toLowerCase()] || reward.status;
      list.appendChild(el('li', { 'class': 'tally__reward tally__reward--' + reward.status.toLowerCase() }, [
        what,
        el('span', { text: ' ' + reward.description + ' · ' + status + ' · ' + date(reward.createAt) })
      ]));
    });
    if (!list.children.length) list.appendChild(el('li', { text: this.text('widget.no_rewards') }));
  };

  // Drawn again after every redemption; the option that had the focus keeps it.
  Widget.prototype.options = function (options) {
    var self = this, list = this.find('options'), focused = document.activeElement;
    var had = list.contains(focused) && focused.closest('[data-option]').getAttribute('data-option');
    list.textContent = '';
    if (!options.length) list.appendChild(el('li', { 'class': 'tally__option', text: this.text('widget.no_options') }));
    options.forEach(function (option) { list.appendChild(self.option(option)); });
    var again = had && list.querySelector('[data-option="' + had + '"] button');
    if (again) again.focus();
  };

  Widget.prototype.option = function (option) {
    var self = this, id = this.root.id + '-option-' + option.id, chooser = null, reason = null;
    var unavailable = !option.available || (option.rewardType === 'FREE_PRODUCT' && !(option.variantIds || []).length);
    if (!option.available) {
      var why = REASONS[option.unavailableReason];
      reason = why ? why(this, option) : this.text('widget.not_available');
    } else if (unavailable) reason = this.text('widget.from_product_page');
    if (option.variable && option.available) {
      var v = option.variable;
      chooser = el('input', { type: 'number', 'class': 'tally__points-input', min: v.minPoints, max: v.maxPoints,
        step: v.pointsStep, value: v.minPoints, 'aria-label': this.text('widget.points_input_label', { reward: option.name }) });
    } else if ((option.variantIds || []).length > 1 && option.available) {
      chooser = el('select', { 'class': 'tally__variant', 'aria-label': this.text('widget.product_label', { reward: option.name }) },
        option.variantIds.map(function (variant) {
          return el('option', { value: variant, text: self.products[variant] || self.text('widget.product_fallback', { id: variant }) });
        }));
    }
    var cost = option.variable
      ? this.text('widget.points_range', { min: number(option.variable.minPoints), max: number(option.variable.maxPoints) })
      : this.count('widget.points', option.pointsCost);
    var button = el('button', {
      type: 'button', 'class': 'tally__button', 'aria-disabled': unavailable ? 'true' : null,
      'aria-describedby': reason ? id + '-reason' : null, text: this.text('widget.redeem'),
      onclick: function () {
        if (unavailable) return self.say(reason, true);
        var body = { redeemRuleId: option.id };
        if (option.variable) body.points = Number(chooser.value);
        if (option.rewardType === 'FREE_PRODUCT') body.variantId = Number(chooser ? chooser.value : option.variantIds[0]);
        self.redeem(body, button);
      }
    });
    // One row of fixed height: the name, then the cost and why it is out of reach; the chooser and button.
    return el('li', { 'class': 'tally__option' + (unavailable ? ' tally__option--unavailable' : ''), 'data-option': option.id }, [
      el('span', { 'class': 'tally__option-text' }, [
        el('span', { 'class': 'tally__option-name', text: option.name }),
        el('span', { 'class': 'tally__option-cost' }, [
          document.createTextNode(cost),
          reason ? el('span', { 'class': 'tally__option-reason', id: id + '-reason', text: ' · ' + reason }) : null
        ])
      ]),
      chooser, button
    ]);
  };

  Widget.prototype.redeem = function (body, button) {
    if (this.busy) return;
    var self = this, same = this.attempt && JSON.stringify(this.attempt.body) === JSON.stringify(body);
    if (!same) this.attempt = { body: body, key: key() };
    this.busy = true;
    this.root.classList.add('tally--busy');
    button.textContent = this.text('widget.redeeming');
    this.say(this.text('widget.redeeming'));
    var done = function () {
      self.busy = false;
      self.root.classList.remove('tally--busy');
      button.textContent = self.text('widget.redeem');
    };
    this.call('POST', 'redeem-points', body, this.attempt.key).then(function (answer) {
      if (settled(answer)) self.attempt = null;
      if (answer.status === 200) self.redeemed(answer.body);
      else if (answer.status === 202) self.say(self.text('widget.pending'));
      else self.error(answer);
      // The balance and options as they are now, whatever happened (an error leaves the message shown).
      return answer.status ? self.load() : null;
    }).then(done, function () {
      done();
      self.say(self.text('errors.service_unavailable'), true);
    });
  };

  Widget.prototype.redeemed = function (answer) {
    var self = this, reward = answer.reward, result = this.find('result'), code = reward.discountCode;
    var points = this.count('widget.points', reward.pointsRedeemed);
    var left = this.count('widget.points_left', answer.availablePoints);
    result.textContent = '';
    if (code) {
      var copy = el('button', { type: 'button', 'class': 'tally__button tally__button--secondary', text: this.text('widget.copy'),
        onclick: function () {
          var done = function () { copy.textContent = self.text('widget.copied'); };
          navigator.clipboard ? navigator.clipboard.writeText(code).then(done, done) : done();
        } });
      result.appendChild(el('p', { text: this.text('widget.code_for', { reward: reward.description }) }));
      result.appendChild(el('p', { 'class': 'tally__code-line' }, [
        el('code', { 'class': 'tally__code', text: code }), copy,
        el('a', { 'class': 'tally__button', href: this.root.getAttribute('data-discount') + encodeURIComponent(code),
          text: this.text('widget.apply') })
      ]));
      this.say(this.text('widget.redeemed_code', { points: points, code: code }) + ' ' + left);
    } else {
      result.appendChild(el('p', { text: this.text('widget.credit_added', { amount: money(reward.amount, reward.currency) }) }));
      this.say(this.text('widget.redeemed_credit', { points: points }) + ' ' + left);
    }
    this.loyalty(answer);
  };

  function start() {
    var roots = document.querySelectorAll('section.tally[data-customer]:not([data-tally-ready])');
    Array.prototype.forEach.call(roots, function (root) {
      root.setAttribute('data-tally-ready', '');
      new Widget(root).load();
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
