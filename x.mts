import { Redis } from 'ioredis';
const r = new Redis({ port: 6379, lazyConnect: false });
r.defineCommand('noop', { numberOfKeys: 1, lua: 'return #ARGV[1]' });
const ops: any[] = [];
for (let i = 0; i < 2600; i++) ops.push(['B', '{wb:c}:b:1:176500000:q:queue' + (i % 50), 3600000, 'arr.3', 1, 'awm.3', 12000, 'n:av.3', -1, 'm:av.3', -345]);
const s = JSON.stringify(ops);
console.log('bytes', s.length);
await (r as any).noop('k', s);
for (let rep = 0; rep < 5; rep++) {
  const t = performance.now();
  const p = (r as any).noop('k', s);
  const sync = performance.now() - t;
  await p;
  console.log('sync ms', sync.toFixed(2), 'total ms', (performance.now() - t).toFixed(2));
}
for (let rep = 0; rep < 3; rep++) { const t = performance.now(); const b = Buffer.from(s); console.log('Buffer.from ms', (performance.now() - t).toFixed(2)); 
  const t2 = performance.now(); const p = (r as any).noop('k', b); const sync = performance.now() - t2; await p; console.log('buffer arg sync', sync.toFixed(2), 'total', (performance.now() - t2).toFixed(2)); }
r.disconnect();
