// Keeps a status page current while it is open: the server pushes the page's live region (already
// in the page's language) over Server-Sent Events whenever the public picture changes. Without
// JavaScript, or without EventSource, the page is complete as it was served.
(function () {
  'use strict';
  var region = document.getElementById('live-region');
  var note = document.getElementById('live-note');
  if (!region || !region.getAttribute('data-live') || typeof window.EventSource !== 'function') return;

  function key(element) {
    return element.getAttribute('data-live-key') || '';
  }

  function keys(parent) {
    var result = [];
    for (var i = 0; i < parent.children.length; i++) result.push(key(parent.children[i]));
    return result.join('\n');
  }

  // The element stays, so focus, an open <details> elsewhere and a screen reader's live region survive.
  function update(current, fresh) {
    if (current.outerHTML === fresh.outerHTML) return;
    for (var i = 0; i < fresh.attributes.length; i++) current.setAttribute(fresh.attributes[i].name, fresh.attributes[i].value);
    current.innerHTML = fresh.innerHTML;
  }

  function merge(current, fresh) {
    if (keys(current) !== keys(fresh)) {
      current.innerHTML = fresh.innerHTML;
      return;
    }
    for (var i = 0; i < fresh.children.length; i++) {
      var now = current.children[i];
      var next = fresh.children[i];
      var list = next.querySelector(':scope > ul.services');
      if (list && now.querySelector(':scope > ul.services')) merge(now.querySelector(':scope > ul.services'), list);
      else update(now, next);
    }
  }

  function say(text) {
    note.textContent = text;
    note.hidden = false;
  }

  var url = region.getAttribute('data-live');
  url += (url.indexOf('?') >= 0 ? '&' : '?') + 'shown=' + encodeURIComponent(region.getAttribute('data-version') || '');
  var source = new EventSource(url);
  source.addEventListener('open', function () {
    say(note.getAttribute('data-live-text'));
  });
  source.addEventListener('error', function () {
    say(note.getAttribute('data-lost-text'));
  });
  source.addEventListener('picture', function (event) {
    var message = JSON.parse(event.data);
    var fresh = document.createElement('div');
    fresh.innerHTML = message.html;
    merge(region, fresh);
    region.setAttribute('data-version', event.lastEventId);
    say(note.getAttribute('data-live-text'));
  });
})();
