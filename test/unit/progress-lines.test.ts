/**
 * The one helper that prints a message amid progress output (watchProgress's warnings, warnWhileWaiting's hints): on
 * a terminal it clears the line the progress bar is drawn on first, so the message never shows a bar's tail.
 */
import { writeLine } from '../../client/progress';

function capture(isTTY: boolean) {
  const written: string[] = [];
  return { stream: { isTTY, write: (text: string) => written.push(text) }, written };
}

describe('writeLine', () => {
  it('on a terminal: back to the line start, clears it, then the message and a newline', () => {
    const { stream, written } = capture(true);
    stream.write('\r[#####     ] 50% phase 1');
    writeLine(stream, 'a worker is polling task queue "q" now');
    expect(written).toEqual(['\r[#####     ] 50% phase 1', '\r\x1b[Ka worker is polling task queue "q" now\n']);
  });

  it('elsewhere (CI logs, pipes): the message on its own line, no control characters', () => {
    const { stream, written } = capture(false);
    writeLine(stream, 'progress of r can be read again');
    expect(written).toEqual(['progress of r can be read again\n']);
  });
});
