export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function formatTime(d: Date | string | undefined | null): string {
  if (!d) return '';
  return (typeof d === 'string' ? new Date(d) : d).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
