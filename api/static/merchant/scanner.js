// The camera and the QR decoder: the browser's own BarcodeDetector where it has one
// (Android Chrome), else the vendored ponyfill with its wasm served by this app.
const WASM = "/static/vendor/barcode-detector/zxing_reader.wasm";
let detector = null;

async function makeDetector() {
  const native = window.BarcodeDetector;
  if (native) {
    try {
      if ((await native.getSupportedFormats()).includes("qr_code")) {
        return new native({ formats: ["qr_code"] });
      }
    } catch { /* fall back to the ponyfill */ }
  }
  const api = window.BarcodeDetectionAPI;
  api.prepareZXingModule({
    overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? WASM : prefix + path) },
  });
  return new api.BarcodeDetector({ formats: ["qr_code"] });
}

export class Scanner {
  constructor(video) {
    this.video = video;
    this.stream = null;
    this.running = false;
  }

  // Resolves with the first code read, or null when stopped; throws when there is no camera.
  async scan() {
    detector = detector || (await makeDetector());
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: false, video: { facingMode: { ideal: "environment" } },
    });
    this.video.srcObject = this.stream;
    await this.video.play();
    this.running = true;
    while (this.running) {
      const found = await this.readOnce();
      if (found) { this.stop(); return found; }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    return null;
  }

  async readOnce() {
    if (this.video.readyState < 2) return null;
    try {
      const codes = await detector.detect(this.video);
      return codes.length ? codes[0].rawValue : null;
    } catch {
      return null;
    }
  }

  stop() {
    this.running = false;
    this.stream?.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.video.srcObject = null;
  }
}
