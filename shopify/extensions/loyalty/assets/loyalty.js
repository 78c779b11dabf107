/*
 * Tally's loyalty widget. Everything goes through the shop's app proxy (data-proxy, /apps/tally), which
 * Shopify signs and forwards to Tally as the logged-in customer; nothing here names a customer. A redemption
 * carries an Idempotency-Key that is kept until Tally gives a final answer, so a double click, or a retry
 * after a lost answer, redeems once.
 */
(function () {
  'use strict';

  var MESSAGES = {
    INSUFFICIENT_POINTS: "You don't have enough points for this reward.",
    SHOPIFY_UNAVAILABLE: 'No points were taken. Please try again.',
    TRY_AGAIN: 'The store is busy. No points were taken. Please try again.',
    REQUEST_IN_PROGRESS: 'Your last request is still being processed. Please wait a moment.',
    RULE_INACTIVE: 'This reward is no longer available.',
    RULE_NOT_FOUND: 'This reward is no longer available.',
    TIER_RESTRICTED: 'This reward is reserved for members of another tier.',
    CUSTOMER_EXCLUDED: "Your account can't redeem points. Please contact the store.",
    CUSTOMER_NOT_ENROLLED: "You're not a member of the rewards program yet.",
    CUSTOMER_NOT_FOUND: "You're not a member of the rewards program yet.",
    VARIANT_REQUIRED: 'Please choose a product first.',
    VARIANT_NOT_FOUND: 'That product is no longer available.',
    NOT_LOGGED_IN: 'Please log in to redeem your points.',
    UNAUTHORIZED: 'Your session has expired. Please reload the page.',
    SHOP_UNINSTALLED: 'Rewards are not available in this store right now.',
    IDEMPOTENCY_KEY_REUSED: 'Please try again.',
    INVALID_REQUEST: 'Something went wrong. Please reload the page and try again.',
    SERVICE_UNAVAILABLE: 'Something went wrong on our side. Please try again in a moment.',
    NETWORK: "We couldn't reach the store. Check your connection and try again."
  };
  var REASONS = {
    INSUFFICIENT_POINTS: function (o) { return 'You need ' + number(o.pointsNeeded) + ' more points'; },
    TIER_RESTRICTED: function (o) { return 'For ' + o.vipTier + ' members'; },
    CUSTOMER_EXCLUDED: function () { return 'Not available for your account'; },
    CUSTOMER_NOT_ENROLLED: function () { return 'Join the program to redeem'; }
  };
  var STATUSES = {
    UNUSED: 'Ready to use', USED: 'Used', REFUNDED: 'Cancelled, points returned', EXPIRED: 'Expired',
    PENDING: 'Being created', FAILED: 'Not created, points returned'
  };
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

  function number(n) { return new Intl.NumberFormat(lang).format(n); }
  function date(iso) { return new Intl.DateTimeFormat(lang, { dateStyle: 'medium' }).format(new Date(iso)); }
  function money(amount, currency) {
    try { return new Intl.NumberFormat(lang, { style: 'currency', currency: currency }).format(amount); }
    catch (e) { return amount + ' ' + currency; }
  }
  function key() {
    return window.crypto && crypto.randomUUID ? crypto.randomUUID() : Date.now() + '-' + Math.random().toString(36).slice(2);
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
    this.busy = false;
    this.attempt = null; // { body, key } of a redemption whose outcome is not known yet
  }

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

  Widget.prototype.say = function (text, isError) {
    var status = this.find('status');
    status.classList.toggle('tally__status--error', !!isError);
    status.textContent = text;
  };

  Widget.prototype.error = function (answer) {
    var error = (answer.body && answer.body.error) || {};
    var text = MESSAGES[error.code] || (error.code === 'INVALID_POINTS' && error.detail) || MESSAGES.SERVICE_UNAVAILABLE;
    this.say(text, true);
  };

  Widget.prototype.load = function () {
    var self = this;
    return Promise.all([this.call('GET', 'customer-loyalty'), this.call('GET', 'point-redeem-rules')]).then(function (answers) {
      self.root.querySelector('.tally__body').removeAttribute('aria-busy');
      if (answers[0].status !== 200) {
        self.find('options').textContent = '';
        return self.error(answers[0]);
      }
      self.loyalty(answers[0].body);
      if (answers[1].status !== 200) return self.error(answers[1]);
      self.options(answers[1].body);
    });
  };

  Widget.prototype.loyalty = function (loyalty) {
    this.currency = loyalty.currency;
    this.find('points').textContent = number(loyalty.availablePoints) + ' points';
    var expiry = this.find('expiry');
    expiry.textContent = loyalty.pointsExpireAt && loyalty.expiringPointsAmount
      ? number(loyalty.expiringPointsAmount) + ' points expire on ' + date(loyalty.pointsExpireAt)
      : '\u00a0';
    var list = this.find('rewards');
    list.textContent = '';
    (loyalty.rewards || []).forEach(function (reward) {
      // A code Shopify never created is not shown.
      var what = reward.discountCode && reward.status !== 'FAILED' ? el('code', { text: reward.discountCode }) : null;
      list.appendChild(el('li', { 'class': 'tally__reward tally__reward--' + reward.status.toLowerCase() }, [
        what,
        el('span', { text: ' ' + reward.description + ' · ' + (STATUSES[reward.status] || reward.status) + ' · ' + date(reward.createAt) })
      ]));
    });
    if (!list.children.length) list.appendChild(el('li', { text: 'No rewards yet.' }));
  };

  // Drawn again after every redemption; the option that had the focus keeps it.
  Widget.prototype.options = function (options) {
    var self = this, list = this.find('options'), focused = document.activeElement;
    var had = list.contains(focused) && focused.closest('[data-option]').getAttribute('data-option');
    list.textContent = '';
    if (!options.length) list.appendChild(el('li', { 'class': 'tally__option', text: 'No rewards are offered right now.' }));
    options.forEach(function (option) { list.appendChild(self.option(option)); });
    var again = had && list.querySelector('[data-option="' + had + '"] button');
    if (again) again.focus();
  };

  Widget.prototype.option = function (option) {
    var self = this, id = this.root.id + '-option-' + option.id, chooser = null, reason = null;
    var unavailable = !option.available || (option.rewardType === 'FREE_PRODUCT' && !(option.variantIds || []).length);
    if (!option.available) reason = (REASONS[option.unavailableReason] || function () { return 'Not available'; })(option);
    else if (unavailable) reason = 'Available from the product page';
    if (option.variable && option.available) {
      var v = option.variable;
      chooser = el('input', { type: 'number', 'class': 'tally__points-input', min: v.minPoints, max: v.maxPoints,
        step: v.pointsStep, value: v.minPoints, 'aria-label': 'Points to redeem for ' + option.name });
    } else if ((option.variantIds || []).length > 1 && option.available) {
      chooser = el('select', { 'class': 'tally__variant', 'aria-label': 'Product for ' + option.name },
        option.variantIds.map(function (variant) { return el('option', { value: variant, text: 'Product ' + variant }); }));
    }
    var cost = option.variable
      ? number(option.variable.minPoints) + '–' + number(option.variable.maxPoints) + ' points'
      : number(option.pointsCost) + ' points';
    var button = el('button', {
      type: 'button', 'class': 'tally__button', 'aria-disabled': unavailable ? 'true' : null,
      'aria-describedby': reason ? id + '-reason' : null, text: 'Redeem',
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
    button.textContent = 'Redeeming…';
    this.say('Redeeming…');
    var done = function () {
      self.busy = false;
      self.root.classList.remove('tally--busy');
      button.textContent = 'Redeem';
    };
    this.call('POST', 'redeem-points', body, this.attempt.key).then(function (answer) {
      if (settled(answer)) self.attempt = null;
      if (answer.status === 200) self.redeemed(answer.body);
      else if (answer.status === 202) self.say('Your reward is being created. It will appear in your rewards shortly.');
      else self.error(answer);
      // The balance and options as they are now, whatever happened (an error leaves the message shown).
      return answer.status ? self.load() : null;
    }).then(done, function () {
      done();
      self.say(MESSAGES.SERVICE_UNAVAILABLE, true);
    });
  };

  Widget.prototype.redeemed = function (answer) {
    var reward = answer.reward, result = this.find('result'), code = reward.discountCode;
    var points = number(reward.pointsRedeemed) + ' points';
    result.textContent = '';
    if (code) {
      var copy = el('button', { type: 'button', 'class': 'tally__button tally__button--secondary', text: 'Copy',
        onclick: function () {
          var done = function () { copy.textContent = 'Copied'; };
          navigator.clipboard ? navigator.clipboard.writeText(code).then(done, done) : done();
        } });
      result.appendChild(el('p', { text: 'Your code for ' + reward.description + ':' }));
      result.appendChild(el('p', { 'class': 'tally__code-line' }, [
        el('code', { 'class': 'tally__code', text: code }), copy,
        el('a', { 'class': 'tally__button', href: this.root.getAttribute('data-discount') + encodeURIComponent(code), text: 'Apply at checkout' })
      ]));
      this.say('You redeemed ' + points + '. Your code is ' + code + '. ' + number(answer.availablePoints) + ' points left.');
    } else {
      result.appendChild(el('p', { text: money(reward.amount, reward.currency) + ' was added to your store credit.' }));
      this.say('You redeemed ' + points + ' for store credit. ' + number(answer.availablePoints) + ' points left.');
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
