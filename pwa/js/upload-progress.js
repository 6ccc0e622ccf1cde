// A big file on a slow link (a camp node's export on the Camp nodes page): show how much of it
// has gone. Without JavaScript the form posts as it is; this only adds the bar.
export function enhance(form) {
  const holder = form.querySelector('.upload-progress');
  const bar = holder && holder.querySelector('progress');
  const input = form.querySelector('input[type=file]');
  if (!bar || !input) return;
  form.addEventListener('submit', (event) => {
    if (!input.files.length) return;
    event.preventDefault();
    const xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.responseType = 'document';
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; }
    });
    // Sent: the server now checks and imports it; the bar has no end it can know.
    xhr.upload.addEventListener('load', () => bar.removeAttribute('value'));
    xhr.addEventListener('load', () => {
      // The page the server answered with (its result), in place of this one.
      if (!xhr.response) { location.assign(form.action); return; }
      document.replaceChild(document.adoptNode(xhr.response.documentElement), document.documentElement);
      history.replaceState(null, '', xhr.responseURL);
    });
    xhr.addEventListener('error', () => form.submit());
    holder.hidden = false;
    form.querySelector('button[type=submit]').disabled = true;
    xhr.send(new FormData(form));
  });
}
