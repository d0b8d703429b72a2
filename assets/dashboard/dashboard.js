// The dashboard's only script: live logs and live rollout progress over server-sent events. Pages
// work without it; it never builds markup from strings (text goes in through textContent).
//
// Logs can arrive by the thousands per second: lines are queued as they come and put in the page
// once per animation frame, and the page keeps only the newest `data-cap` lines, so a flood costs
// one DOM update per frame and a bounded page, never a frozen tab.

'use strict';

function liveLogs(pre) {
  const cap = Number(pre.dataset.cap) || 5000;
  const tools = document.getElementById('log-tools');
  const followButton = document.getElementById('log-follow');
  const filterInput = document.getElementById('log-filter');
  const status = document.getElementById('log-status');
  /** The newest lines received, whether shown or not: a new filter or a resume redraws from here. */
  let kept = [];
  let queue = [];
  let paused = false;
  let filter = '';
  let received = 0;
  let scheduled = false;
  let ended = '';

  const matches = (text) => !filter || text.includes(filter);
  const atBottom = () => pre.scrollHeight - pre.scrollTop - pre.clientHeight < 40;

  function showStatus() {
    const state = ended || (paused ? 'paused' : 'following');
    status.textContent = `${state} · ${received} lines received · ${pre.childElementCount} shown (at most ${cap})`;
  }

  function append(lines) {
    const stick = atBottom();
    const fragment = document.createDocumentFragment();
    for (const text of lines.length > cap ? lines.slice(-cap) : lines) {
      if (!matches(text)) continue;
      const div = document.createElement('div');
      div.textContent = text;
      fragment.append(div);
    }
    pre.append(fragment);
    for (let extra = pre.childElementCount - cap; extra > 0; extra--) pre.firstElementChild.remove();
    if (stick) pre.scrollTop = pre.scrollHeight;
  }

  function redraw() {
    pre.replaceChildren();
    append(kept);
    pre.scrollTop = pre.scrollHeight;
    showStatus();
  }

  function frame() {
    scheduled = false;
    if (!paused && queue.length > 0) append(queue);
    queue = [];
    showStatus();
  }

  function receive(lines) {
    received += lines.length;
    kept.push(...lines);
    // Trimmed in steps, not per line: one copy per cap/4 lines instead of a shift for each.
    if (kept.length > cap * 1.25) kept = kept.slice(-cap);
    if (paused) return;
    queue.push(...lines);
    if (queue.length > cap) queue = queue.slice(-cap);
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(frame);
    }
  }

  const source = new EventSource(pre.dataset.stream);
  // Each data line of an event is one display line, `web-1 | text`.
  source.onmessage = (event) => receive(event.data.split('\n'));
  source.addEventListener('end', () => {
    source.close();
    ended = 'the logs ended';
    showStatus();
  });
  source.addEventListener('failure', (event) => {
    source.close();
    ended = `stopped: ${JSON.parse(event.data)}`;
    showStatus();
  });
  // EventSource would reconnect and replay the tail: stop instead and say so.
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED || ended) return;
    source.close();
    ended = 'disconnected (reload the page to reconnect)';
    showStatus();
  };

  pre.replaceChildren();
  tools.hidden = false;
  followButton.addEventListener('click', () => {
    paused = !paused;
    followButton.textContent = paused ? 'Follow' : 'Pause';
    followButton.setAttribute('aria-pressed', String(!paused));
    if (!paused) {
      queue = [];
      redraw();
    }
    showStatus();
  });
  let filterTimer;
  filterInput.addEventListener('input', () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => {
      filter = filterInput.value;
      redraw();
    }, 150);
  });
  showStatus();
}

function liveOperation(pre) {
  const source = new EventSource(pre.dataset.events);
  source.addEventListener('line', (event) => {
    const stick = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 40;
    pre.append(`${JSON.parse(event.data)}\n`);
    if (stick) pre.scrollTop = pre.scrollHeight;
  });
  // The finished page shows the outcome and the new revision: load it once the rollout ends.
  source.addEventListener('done', () => {
    source.close();
    location.reload();
  });
  source.onerror = () => {
    if (source.readyState !== EventSource.CLOSED) source.close();
    setTimeout(() => location.reload(), 1000);
  };
}

const log = document.getElementById('log');
if (log && log.dataset.stream && window.EventSource) liveLogs(log);
const progress = document.getElementById('op-events');
if (progress && progress.dataset.events && window.EventSource) liveOperation(progress);
