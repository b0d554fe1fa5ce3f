/**
 * The wall's audible alert: a generated two-tone chime (WebAudio oscillators, no audio files) and
 * an optional spoken zh-CN message (speechSynthesis).
 *
 * Browser autoplay rules: an AudioContext may only start after a user gesture on the page. A wall
 * TV has nobody to click, so kiosk setup shows a one-time "启用声音 / Enable sound" button; the
 * click creates and resumes the context and the choice is remembered in localStorage. After a
 * reload the remembered choice is tried again; if the browser keeps the context suspended (no
 * gesture yet on this page load) the button shows again. Kiosk browsers started with
 * `--autoplay-policy=no-user-gesture-required` never need the click after the first setup.
 */
const soundKey = 'wallboard.alertSound';
const speechKey = 'wallboard.alertSpeech';

function remembered(key: string): boolean {
  try {
    return localStorage.getItem(key) === 'on';
  } catch {
    return false;
  }
}
function remember(key: string, on: boolean): void {
  try {
    if (on) localStorage.setItem(key, 'on');
    else localStorage.removeItem(key);
  } catch {
    // private mode: the choice lasts for this page
  }
}

export class AlertSound {
  private ctx: AudioContext | null = null;
  /** chimes played (the browser test reads it: a headless browser has no speakers) */
  played = 0;

  get wanted(): boolean {
    return remembered(soundKey);
  }
  get speechWanted(): boolean {
    return remembered(speechKey);
  }

  /** true when sound can play right now without a gesture */
  get ready(): boolean {
    return this.ctx !== null && this.ctx.state === 'running';
  }

  /** called from the button's click handler (a user gesture) */
  async enable(): Promise<boolean> {
    remember(soundKey, true);
    return this.resume();
  }

  disable(): void {
    remember(soundKey, false);
    void this.ctx?.suspend();
  }

  setSpeech(on: boolean): void {
    remember(speechKey, on);
  }

  /** try to (re)start the remembered sound; false while the browser still wants a gesture */
  async resume(): Promise<boolean> {
    if (!this.wanted) return false;
    try {
      this.ctx ??= new AudioContext();
      if (this.ctx.state === 'suspended') {
        // resume() never settles in some browsers without a gesture: don't wait for it forever
        await Promise.race([this.ctx.resume(), new Promise((r) => setTimeout(r, 300))]);
      }
    } catch {
      return false;
    }
    return this.ready;
  }

  /** critical: three rising notes; warning: two soft notes */
  chime(critical: boolean): void {
    if (!this.ready || !this.ctx) return;
    const ctx = this.ctx;
    const notes = critical ? [880, 1108.73, 1318.51] : [659.25, 523.25];
    const t0 = ctx.currentTime + 0.02;
    notes.forEach((freq, i) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      const start = t0 + i * 0.22;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(critical ? 0.5 : 0.3, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.6);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start);
      osc.stop(start + 0.65);
    });
    this.played++;
  }

  speak(text: string): void {
    if (!this.speechWanted || typeof speechSynthesis === 'undefined') return;
    const u = new SpeechSynthesisUtterance(text);
    u.lang = 'zh-CN';
    u.rate = 1;
    speechSynthesis.cancel();
    speechSynthesis.speak(u);
  }
}

export const alertSound = new AlertSound();
