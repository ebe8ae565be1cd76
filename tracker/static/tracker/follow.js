/* A page that follows work done in the background (the annual report being made): while the
   element [data-follow] is on the page, ask for the page again every data-follow seconds and
   put the new element in its place (a polite live region says what changed); once the work is
   over and the element is gone, load the page whole, with its files and messages. Without
   JavaScript, the element's own link reloads the page. */
(function () {
  "use strict";
  const following = document.querySelector("[data-follow]");
  if (!following) return;
  const seconds = Number(following.dataset.follow) || 3;
  // The page to ask for: the report's own (this page may be a form's answer to a POST).
  const url = following.dataset.followUrl || window.location.href;
  function poll() {
    fetch(url, {credentials: "same-origin", cache: "no-store"})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        const fresh = new DOMParser().parseFromString(html, "text/html")
          .querySelector("[data-follow]");
        if (!fresh) { window.location.assign(url); return; }
        document.querySelector("[data-follow]").innerHTML = fresh.innerHTML;
        window.setTimeout(poll, seconds * 1000);
      })
      .catch(function () { window.setTimeout(poll, seconds * 1000 * 2); });
  }
  window.setTimeout(poll, seconds * 1000);
})();
