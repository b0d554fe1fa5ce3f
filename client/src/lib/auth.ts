const storageKey = 'wallboard.token';

/**
 * The access token. A kiosk URL carries it in the fragment (`/wall#token=…`: fragments never reach
 * server logs or Referer headers); it is moved to localStorage at once and the fragment cleared
 * so it does not linger in the address bar or history. The lead console can also sign in by hand.
 */
export function takeTokenFromUrl(): void {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!m) return;
  saveToken(decodeURIComponent(m[1]!));
  history.replaceState(null, '', location.pathname + location.search);
}

export function currentToken(): string | null {
  try {
    return localStorage.getItem(storageKey);
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  try {
    localStorage.setItem(storageKey, token);
  } catch {
    // private mode: the token lasts for this page only (kept by the socket module)
  }
}

export function clearToken(): void {
  try {
    localStorage.removeItem(storageKey);
  } catch {
    // ignore
  }
}
