// flexemu for twilio-node: point an unchanged twilio-node client at a local
// flexemu. twilio-node has no base-URL option, so this wraps its own
// RequestClient and sends https://<product>.twilio.com/... to
// <emulator>/<product>/... (the emulator answers with URLs under that
// prefix, so paging keeps working).
//
//   const { client } = require("./flexemu");
//   const twilio = client("http://127.0.0.1:7070", accountSid, authToken);
"use strict";

const twilio = require("twilio");

const PRODUCTS = new Set(["conversations", "flex-api", "taskrouter", "studio"]);

/** An httpClient for twilio-node that talks to the emulator at emulatorURL. */
function httpClient(emulatorURL) {
  const base = emulatorURL.replace(/\/+$/, "");
  const inner = new twilio.RequestClient();
  return {
    request(opts) {
      const u = new URL(opts.uri);
      const product = u.hostname.split(".")[0];
      if (u.hostname.endsWith(".twilio.com") && PRODUCTS.has(product)) {
        opts = { ...opts, uri: `${base}/${product}${u.pathname}${u.search}` };
      }
      return inner.request(opts);
    },
    get lastRequest() { return inner.lastRequest; },
    get lastResponse() { return inner.lastResponse; },
  };
}

/** A twilio-node client whose requests go to the emulator. */
function client(emulatorURL, accountSid, authToken) {
  return twilio(accountSid, authToken, { httpClient: httpClient(emulatorURL) });
}

module.exports = { client, httpClient };
