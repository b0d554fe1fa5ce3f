import { en } from './en.ts';
import { zhCN, type MessageKey } from './zh-CN.ts';

export const locales = ['zh-CN', 'en'] as const;
export type Locale = (typeof locales)[number];
const catalogues: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zhCN, en };
const storageKey = 'wallboard.locale';

/**
 * The UI language. zh-CN is the default (the users are supervisors of Chinese centers); `?lang=en`
 * on a wall URL or the console's switch changes it and the choice is remembered.
 */
class I18n {
  locale = $state<Locale>(initialLocale());

  set(locale: Locale): void {
    this.locale = locale;
    try {
      localStorage.setItem(storageKey, locale);
    } catch {
      // private mode: the choice lasts for the page
    }
    document.documentElement.lang = locale;
  }

  /** the localized half of a `{zh, en}` text from config or the registry */
  pick(text: { zh: string; en: string }): string {
    return this.locale === 'en' ? text.en : text.zh;
  }

  t = (key: MessageKey, params?: Record<string, string | number>): string => {
    let s = catalogues[this.locale][key] ?? key;
    if (params) for (const [k, v] of Object.entries(params)) s = s.replaceAll(`{${k}}`, String(v));
    return s;
  };
}

function initialLocale(): Locale {
  const fromUrl = new URLSearchParams(location.search).get('lang');
  if (fromUrl === 'en' || fromUrl === 'zh-CN') return fromUrl;
  try {
    const saved = localStorage.getItem(storageKey);
    if (saved === 'en' || saved === 'zh-CN') return saved;
  } catch {
    // ignore
  }
  return 'zh-CN';
}

export const i18n = new I18n();
export type { MessageKey };
