// Progressive enhancement only: every page works without this file.
(function () {
  'use strict';
  document.documentElement.classList.add('js');

  // Selects marked data-autosubmit submit on change; their Apply buttons stay for people without JavaScript.
  for (const select of document.querySelectorAll('select[data-autosubmit]')) {
    select.addEventListener('change', function () {
      if (select.form) select.form.requestSubmit();
    });
  }

  // Live caption counters, counted as the server counts them (Unicode code points).
  const HASHTAG = /(?:^|[^\p{L}\p{N}_&])#([\p{L}\p{N}_]+)/gu;
  const MENTION = /(?:^|[^\p{L}\p{N}_.])@([A-Za-z0-9._]{1,30})/gu;
  for (const area of document.querySelectorAll('textarea[data-counter]')) {
    const box = document.querySelector('[data-counts]');
    if (!box) continue;
    const update = function () {
      const text = area.value;
      const counts = { characters: Array.from(text).length, hashtags: Array.from(text.matchAll(HASHTAG)).length, mentions: Array.from(text.matchAll(MENTION)).length };
      for (const name of Object.keys(counts)) {
        const el = box.querySelector('[data-count="' + name + '"]');
        if (!el) continue;
        const max = Number(box.dataset['max' + name.charAt(0).toUpperCase() + name.slice(1)]);
        if (!el.dataset.label) el.dataset.label = el.textContent;
        el.textContent = counts[name] + ' ' + el.dataset.label;
        el.classList.toggle('over', counts[name] > max);
      }
    };
    area.addEventListener('input', update);
    update();
  }

  const composer = document.querySelector('form[data-composer]');
  if (composer) enhanceComposer(composer);

  function enhanceComposer(form) {
    let dirty = false;
    form.addEventListener('input', function () { dirty = true; });

    // Upload with a progress bar; the server's answer replaces the page as a normal submit would.
    form.addEventListener('submit', function (event) {
      const files = Array.from(form.querySelectorAll('input[type=file]')).flatMap(function (input) { return Array.from(input.files || []); });
      if (files.length === 0 || typeof XMLHttpRequest === 'undefined') return;
      const maxImage = Number(form.dataset.maxImageBytes);
      const maxVideo = Number(form.dataset.maxVideoBytes);
      const tooLarge = files.find(function (f) { return f.size > (f.type.startsWith('image/') ? maxImage : maxVideo); });
      if (tooLarge) {
        event.preventDefault();
        window.alert(tooLarge.name + ': ' + form.dataset.tooLarge);
        return;
      }
      event.preventDefault();
      const data = new FormData(form, event.submitter || undefined);
      const box = form.querySelector('[data-upload-progress]');
      const bar = box && box.querySelector('progress');
      if (box) box.hidden = false;
      for (const button of form.querySelectorAll('button')) button.disabled = true;
      // Not form.action: the buttons are named "action", which shadows the property.
      const target = new URL(form.getAttribute('action') || '', window.location.href).href;
      const xhr = new XMLHttpRequest();
      xhr.open('POST', target);
      xhr.upload.addEventListener('progress', function (e) {
        if (bar && e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
      });
      xhr.addEventListener('load', function () {
        if (xhr.status < 300 && xhr.responseURL && xhr.responseURL !== target) {
          window.location.assign(xhr.responseURL);
          return;
        }
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      xhr.addEventListener('error', function () {
        for (const button of form.querySelectorAll('button')) button.disabled = false;
        if (box) box.hidden = true;
        form.submit();
      });
      xhr.send(data);
    });

    // Files still being prepared, or a post on its way to Instagram: follow it, and show the
    // result when something changed (unless the person is editing the form).
    const statusUrl = form.dataset.statusUrl;
    const LIVE = ['scheduled', 'claimed', 'container_created', 'ready', 'publishing'];
    const watching = form.querySelector('.media-item--processing') || LIVE.indexOf(form.dataset.postState) >= 0;
    if (!statusUrl || !watching) return;
    const poll = function () {
      fetch(statusUrl, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (response) { return response.json(); })
        .then(function (body) {
          let busy = false;
          for (const item of body.items) {
            const el = form.querySelector('[data-media-id="' + item.id + '"]');
            const bar = el && el.querySelector('[data-progress]');
            if (bar) bar.value = item.progress;
            if (item.status === 'processing') busy = true;
          }
          const moved = body.state !== form.dataset.postState;
          if ((moved || (!busy && form.querySelector('.media-item--processing'))) && !dirty) window.location.reload();
          else window.setTimeout(poll, busy ? 2000 : 3000);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    };
    window.setTimeout(poll, 1500);
  }

  // Calendar: drag a post to another day to reschedule it (the post page does the same without JavaScript).
  const calendar = document.querySelector('[data-calendar]');
  if (calendar) {
    const token = document.querySelector('input[name="_csrf"]');
    let dragged = null;
    calendar.addEventListener('dragstart', function (e) {
      dragged = e.target.closest('[data-post-id]');
      if (dragged && e.dataTransfer) e.dataTransfer.setData('text/plain', dragged.dataset.postId);
    });
    calendar.addEventListener('dragover', function (e) {
      const day = e.target.closest('[data-date]');
      if (dragged && day) {
        e.preventDefault();
        for (const d of calendar.querySelectorAll('.drop-target')) d.classList.remove('drop-target');
        day.classList.add('drop-target');
      }
    });
    calendar.addEventListener('drop', function (e) {
      const day = e.target.closest('[data-date]');
      if (!dragged || !day || !token) return;
      e.preventDefault();
      // Whole days, so the post keeps its own wall-clock time in its own zone.
      const from = dragged.closest('[data-date]');
      const days = Math.round((Date.parse(day.dataset.date) - Date.parse(from.dataset.date)) / 86400000);
      if (days === 0) return;
      const body = new URLSearchParams({ _csrf: token.value, days: String(days) });
      fetch('/posts/' + dragged.dataset.postId + '/reschedule', { method: 'POST', body: body, headers: { accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (response) { return response.json(); })
        .then(function (result) {
          if (result.ok) window.location.reload();
          else window.alert(result.message || calendar.dataset.rescheduleError);
        })
        .catch(function () { window.alert(calendar.dataset.rescheduleError); });
      dragged = null;
    });
  }
  // Byte counters for direct messages (Instagram counts UTF-8 bytes, not letters).
  for (const area of document.querySelectorAll('textarea[data-max-bytes]')) {
    const out = area.parentElement && area.parentElement.querySelector('[data-byte-count]');
    if (!out || typeof TextEncoder === 'undefined') continue;
    const max = Number(area.dataset.maxBytes);
    const encoder = new TextEncoder();
    const update = function () {
      const bytes = encoder.encode(area.value.trim()).length;
      out.textContent = '(' + bytes + ' / ' + max + ')';
      out.classList.toggle('over', bytes > max);
    };
    area.addEventListener('input', update);
    update();
  }

  // Live inbox: the server says something changed (server-sent events); the page fetches its own
  // fresh HTML and swaps the live regions, keeping what the person is typing and which boxes are open.
  const regions = document.querySelectorAll('[data-live-region]');
  if (regions.length > 0 && typeof EventSource !== 'undefined' && typeof DOMParser !== 'undefined') {
    const topics = Array.from(regions).map(function (r) { return r.dataset.liveRegion; });
    let refreshing = false;
    let again = false;
    const refresh = function () {
      if (refreshing) { again = true; return; }
      refreshing = true;
      fetch(window.location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(new Error(String(response.status))); })
        .then(function (html) {
          const fresh = new DOMParser().parseFromString(html, 'text/html');
          for (const region of document.querySelectorAll('[data-live-region]')) {
            const next = fresh.querySelector('[data-live-region="' + region.dataset.liveRegion + '"]');
            if (next) swap(region, next);
          }
        })
        .catch(function () { /* the next event or a reload will catch up */ })
        .finally(function () {
          refreshing = false;
          if (again) { again = false; refresh(); }
        });
    };
    const swap = function (region, next) {
      const typed = {};
      for (const area of region.querySelectorAll('textarea[id]')) if (area.value) typed[area.id] = area.value;
      const open = Array.from(region.querySelectorAll('details[open] textarea[id]')).map(function (a) { return a.id; });
      const active = document.activeElement && region.contains(document.activeElement) ? document.activeElement.id : '';
      const selection = active && document.activeElement.selectionStart !== undefined ? [document.activeElement.selectionStart, document.activeElement.selectionEnd] : null;
      region.replaceChildren.apply(region, Array.from(next.childNodes).map(function (n) { return document.importNode(n, true); }));
      for (const id of Object.keys(typed)) { const area = document.getElementById(id); if (area) area.value = typed[id]; }
      for (const id of open) { const area = document.getElementById(id); const box = area && area.closest('details'); if (box) box.open = true; }
      if (active) {
        const el = document.getElementById(active);
        if (el) { el.focus(); if (selection && el.setSelectionRange) el.setSelectionRange(selection[0], selection[1]); }
      }
    };
    const updateCounts = function (counts) {
      const values = { comments: counts.comments, messages: counts.messages, total: counts.comments + counts.messages };
      for (const el of document.querySelectorAll('[data-inbox-count]')) {
        const value = values[el.dataset.inboxCount];
        if (value === undefined) continue;
        el.textContent = String(value);
        el.hidden = value === 0;
      }
    };
    const source = new EventSource('/inbox/events');
    // Marks the page as listening (handy for people debugging, and for the browser tests).
    source.addEventListener('open', function () { document.documentElement.dataset.inboxLive = 'open'; });
    for (const topic of ['comments', 'messages']) {
      source.addEventListener(topic, function (event) {
        try { updateCounts(JSON.parse(event.data)); } catch { /* counts stay as they are */ }
        if (topics.indexOf(topic) !== -1) refresh();
      });
    }
    window.addEventListener('pagehide', function () { source.close(); });
  }
})();
