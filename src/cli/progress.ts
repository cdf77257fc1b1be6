/** A one-line progress display on stderr when it is a terminal; silent otherwise (logs and CI stay clean). */
export class Progress {
  private last = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly label: string, private readonly total?: number) {}

  update(done: number, extra = ''): void {
    if (!this.tty) return;
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    let bar = '';
    if (this.total) {
      const width = 30;
      const filled = Math.min(width, Math.round((done / this.total) * width));
      bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor((done / this.total) * 100)}% `;
    }
    process.stderr.write(`\r${this.label} ${bar}${done.toLocaleString('en-GB')}${extra ? ` ${extra}` : ''}\x1b[K`);
  }

  done(): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
  }
}
