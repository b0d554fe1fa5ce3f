/** Hottest functions of a V8 `.cpuprofile` (node --cpu-prof) by self time. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
}

export function topSelfTime(profile: CpuProfile, limit = 15): { function: string; url: string; selfPct: number }[] {
  const totals = new Map<string, { function: string; url: string; hits: number }>();
  let all = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    all += hits;
    const f = n.callFrame;
    const url = f.url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'node_modules/').replace(/^.*\/(server|shared)\//, '$1/');
    const key = `${f.functionName}|${url}|${f.lineNumber}`;
    const entry = totals.get(key) ?? { function: f.functionName || '(anonymous)', url: url ? `${url}:${f.lineNumber + 1}` : '', hits: 0 };
    entry.hits += hits;
    totals.set(key, entry);
  }
  return [...totals.values()]
    .sort((a, b) => b.hits - a.hits)
    .slice(0, limit)
    .map((e) => ({ function: e.function, url: e.url, selfPct: all > 0 ? Math.round((e.hits / all) * 1000) / 10 : 0 }));
}
