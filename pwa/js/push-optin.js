// The opt-in for notifications on /activity: shown only where the browser has Web Push, never
// required. Subscribes with the server's VAPID key and hands the subscription to the server.
const KEY_URL = '/api/v1/webpush/key';
const SUBS_URL = '/api/v1/webpush/subscriptions';

function b64ToBytes(text) {
  const raw = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function send(method, body, csrf) {
  const response = await fetch(SUBS_URL, {
    method, credentials: 'same-origin', body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf },
  });
  if (!response.ok && response.status !== 204) throw new Error(String(response.status));
}

export async function mount(section, csrf) {
  if (!('PushManager' in self) || !('serviceWorker' in navigator) || !('Notification' in self)) return;
  const on = section.querySelector('#push-on');
  const off = section.querySelector('#push-off');
  const status = section.querySelector('#push-status');
  const registration = await navigator.serviceWorker.ready;
  const show = (subscribed) => { on.hidden = subscribed; off.hidden = !subscribed; };
  show(Boolean(await registration.pushManager.getSubscription()));
  section.hidden = false;
  on.addEventListener('click', async () => {
    try {
      const { public_key: key } = await (await fetch(KEY_URL, { credentials: 'same-origin' })).json();
      const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64ToBytes(key) });
      await send('POST', subscription.toJSON(), csrf);
      show(true);
      status.textContent = section.dataset.saidOn || '';
    } catch (err) {
      status.textContent = section.dataset.saidFailed || '';
    }
  });
  off.addEventListener('click', async () => {
    const subscription = await registration.pushManager.getSubscription();
    if (subscription) {
      await send('DELETE', { endpoint: subscription.endpoint }, csrf).catch(() => {});
      await subscription.unsubscribe();
    }
    show(false);
    status.textContent = section.dataset.saidOff || '';
  });
}
