// The service worker from the page's side: registration, "works offline" on first install,
// and asking before switching to a new version. It never reloads on its own: a person may be
// writing (style guide, after svgomg's main-controller).
import { t } from './i18n.js';
import { showBanner, hideBanner } from './ui.js';
import { holdPushes } from './push.js';

const CHECK_EVERY = 60 * 60 * 1000;

// beforeReload(): a promise the page settles before the reload (compose saves its draft).
export async function registerWorker({ beforeReload = async () => {}, onReady = () => {} } = {}) {
  // No service worker on plain http (a camp laptop on local Wi-Fi): the pages work as they are.
  if (!('serviceWorker' in navigator)) return null;
  let registration;
  try {
    // A module worker: it imports the same push.js as the pages (Chromium 91+, Safari 15+,
    // Firefox 147+); where that is missing the page runs without offline support.
    registration = await navigator.serviceWorker.register('/sw.js', { scope: '/', type: 'module', updateViaCache: 'none' });
  } catch (err) {
    return null;
  }
  let accepted = false;
  let reloading = false;
  const reloadOnce = () => {
    if (reloading) return;
    reloading = true;
    location.reload();
  };

  const offer = (worker) => {
    showBanner('update', t('A new version of Kultialogo is ready.'), {
      toast: true,
      action: {
        label: t('Update now'),
        run: async (button) => {
          button.disabled = true;
          accepted = true;
          try {
            await beforeReload();
          } catch (err) {
            // The draft could not be kept: stay, with the words still in the form.
            accepted = false;
            button.disabled = false;
            return;
          }
          // No request from here on: one landing as the old worker stops would keep the new one
          // waiting (push.js, holdPushes).
          await holdPushes();
          // Reload once the new worker is in charge: its activation may wait for the old one to
          // finish a request, and controllerchange is not the only sign (reloadOnce below).
          // A newer version may have replaced the one offered while the prompt was up.
          const next = registration.waiting || worker;
          next.addEventListener('statechange', () => { if (next.state === 'activated') reloadOnce(); });
          if (next.state === 'activated') reloadOnce();
          else {
            // Nor for the old worker's warming (sw.js), whose fetches may hang.
            if (registration.active) registration.active.postMessage({ type: 'stop-warming' });
            next.postMessage({ type: 'skip-waiting' });
          }
        },
      },
    });
  };

  const watch = (worker) => {
    worker.addEventListener('statechange', () => {
      if (worker.state !== 'installed') return;
      if (navigator.serviceWorker.controller) offer(worker);
      // In the page's flow, above its content: floating at the bottom it covered Send and the
      // footer until closed. Said once, on the first visit.
      else showBanner('ready', t('Kultialogo now works on this phone without signal.'), { dismiss: true });
    });
  };

  if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting);
  if (registration.installing) watch(registration.installing);
  registration.addEventListener('updatefound', () => watch(registration.installing));

  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // Only after the person said yes; the first install also changes the controller.
    if (accepted) reloadOnce();
    else hideBanner('update');
  });

  let lastCheck = Date.now();
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && Date.now() - lastCheck > CHECK_EVERY) {
      lastCheck = Date.now();
      registration.update().catch(() => {});
    }
  });

  navigator.serviceWorker.ready.then(onReady);
  return registration;
}

// Ask the worker to keep these pages for offline use (missing ones, or all when `force`).
export async function warmPages(urls, force) {
  if (!('serviceWorker' in navigator)) return;
  const registration = await navigator.serviceWorker.ready;
  if (registration.active) registration.active.postMessage({ type: 'warm', urls, force });
}
