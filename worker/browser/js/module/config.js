// @ts-check
// wa-js's settings, read by wa-js when it loads (this script is injected right before it): keep
// WhatsApp's own device name, no analytics, no third-party link-preview servers.
(() => {
  /** @type {Partial<import('@wppconnect/wa-js').Config>} */
  const config = {
    deviceName: false,
    disableGoogleAnalytics: true,
    googleAnalyticsId: null,
    poweredBy: null,
    linkPreviewApiServers: null,
    sendStatusToDevice: false,
    syncAllStatus: false,
  };
  /** @type {any} */ (window).WPPConfig = config;
})();
