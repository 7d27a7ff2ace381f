import { DefaultRenderer } from 'listr2';

/**
 * listr2's default renderer (apply's live host lines), with a way to stop it before its list ends.
 * While it draws, listr2 holds back everything else written to stdout and stderr (a line written
 * between two redraws would be wiped by the next one) and prints it when the list ends. So at a
 * Ctrl-C or SIGTERM during the batches, gridops' line said only once the batches were over what
 * the run would do, and the line of a second one, which exits at once, was never printed.
 * `end()` draws the lines a last time and lets the held-back output out, at once; listr2's own end
 * of the renderer, when the list completes, then does nothing, and nothing is redrawn.
 */
export function endableRenderer(): { renderer: typeof DefaultRenderer; end: () => void } {
  let endedEarly = false;
  let created: Endable | undefined;

  class Endable extends DefaultRenderer {
    private stage: 'starting' | 'drawing' | 'ended' = endedEarly ? 'ended' : 'starting';

    constructor(...args: ConstructorParameters<typeof DefaultRenderer>) {
      super(...args);
      created = this;
    }

    override async render(): Promise<void> {
      await super.render();
      // Ended while listr2 still loaded what it draws with: there is something to end only now.
      if (this.stage === 'ended') super.end();
      else this.stage = 'drawing';
    }

    override update(): void {
      if (this.stage === 'drawing') super.update();
    }

    override end(): void {
      const drawing = this.stage === 'drawing';
      this.stage = 'ended';
      if (drawing) super.end();
    }
  }

  return {
    renderer: Endable,
    end: () => {
      endedEarly = true;
      created?.end();
    },
  };
}
