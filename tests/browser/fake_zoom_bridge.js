// A fake native bridge for @zoom/appssdk, injected before the page loads (ZOOM-APPS.md §3).
// The real SDK finds `window.chrome.webview` (Zoom's Windows client), posts JSON requests to it and
// reads replies from its "message" events. `config` and `getUserContext` are answered here; every
// other call goes to the simulated host client in Python (`window.__zoomsimCall`, exposed by the test).
(() => {
  const listeners = [];
  const calls = [];
  const emit = (data) => setTimeout(() => listeners.forEach((fn) => fn({ data })), 0);
  const local = {
    config: () => ({ runningContext: "inMeeting", clientVersion: "6.5.10.62715", unsupportedApis: [],
                     auth: { status: "authorized", upgradable: false }, product: "desktop" }),
    getUserContext: () => ({ role: "host", screenName: "Course Director", participantUUID: "P-HOST",
                             status: "authorized" }),
  };
  window.chrome = window.chrome || {};
  window.chrome.webview = {
    addEventListener: (type, fn) => { if (type === "message") listeners.push(fn); },
    postMessage: (json) => {
      const req = JSON.parse(json);
      calls.push(req);
      const answer = (reply) => emit({ type: "apiResponse", data: { jsCallId: req.jsCallId, ...reply } });
      if (local[req.apiName]) { answer({ result: local[req.apiName](req.data || {}) }); return; }
      window.__zoomsimCall(req.apiName, req.data || {}).then((out) => {
        if (out && out.__error) answer({ errorCode: out.__error[0], errorMessage: out.__error[1] });
        else answer({ result: out });
      });
    },
  };
  window.__fakeZoom = { calls };
})();
