import cliProgress from "cli-progress";

/**
 * One progress bar per epoch: updated in place on a terminal, and a single plain line
 * per epoch when the output is not a TTY (CI logs stay readable).
 */
export class EpochProgress {
  private bar: cliProgress.SingleBar | null = null;
  private started = 0;
  private readonly tty = Boolean(process.stdout.isTTY);

  /**
   * `unit`: what the speed counts (default "ex", examples); `accuracy: false` leaves the
   * accuracy out of the bar (language models, say).
   */
  constructor(
    private readonly epochs: number,
    private readonly steps: number,
    private readonly options: { unit?: string; accuracy?: boolean } = {},
  ) {}

  start(epoch: number): void {
    this.started = performance.now();
    if (!this.tty) return;
    this.bar = new cliProgress.SingleBar(
      {
        format:
          `epoch ${String(epoch).padStart(String(this.epochs).length)}/${this.epochs} [{bar}] {value}/{total} | loss {loss} | ` +
          `${this.options.accuracy === false ? "" : "acc {acc} | "}{speed} ${this.options.unit ?? "ex"}/s`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(this.steps, 0, { loss: "-", acc: "-", speed: "-" });
  }

  /** `seen`: examples processed so far this epoch (for examples per second). */
  update(step: number, loss: number, accuracy: number, seen: number): void {
    const speed = Math.round((seen / (performance.now() - this.started)) * 1000);
    this.bar?.update(step, { loss: loss.toFixed(4), acc: Number.isNaN(accuracy) ? "-" : accuracy.toFixed(3), speed });
  }

  end(epoch: number, summary: string): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
      return;
    }
    console.log(`epoch ${String(epoch).padStart(String(this.epochs).length)}/${this.epochs} ${summary}`);
  }
}
