// Import CSV: choose a file, see what it holds (and what the server would
// refuse, by line, before anything is sent), then send it through
// upsertRecipients a batch at a time, with a progress bar and, per batch, what
// became of it: a batch is imported whole or not at all.
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { RequestError, request } from './api.ts';
import { BATCH_ROWS, type Batch, batches, CHANNEL_SEPARATOR, linesOf, type ParsedCsv, parseCsv, refusalByLine } from './csv-import.ts';
import { Dialog } from './dialog.tsx';
import { DashboardUpsertRecipients } from './documents.ts';
import { count, counted } from './format.ts';

/** A file larger than this is refused before it is read: split it. */
const MAX_FILE_BYTES = 50 * 1024 * 1024;
/** At most this many of a file's problems are listed. */
const PROBLEMS_SHOWN = 50;

type Outcome = { kind: 'imported'; created: number; updated: number } | { kind: 'refused'; messages: string[] } | { kind: 'skipped' };

interface Chosen {
  name: string;
  parsed: ParsedCsv;
  plan: Batch[];
}

type Phase = 'choose' | 'importing' | 'done';

interface ImportDialogProps {
  onClose: () => void;
  /** A batch was imported: the list behind the dialog is read again. */
  onImported: () => void;
  onUnauthenticated: (error: RequestError) => void;
}

export function ImportDialog({ onClose, onImported, onUnauthenticated }: ImportDialogProps) {
  const id = useId();
  const [chosen, setChosen] = useState<Chosen | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [phase, setPhase] = useState<Phase>('choose');
  const [outcomes, setOutcomes] = useState<Outcome[]>([]);
  const [sent, setSent] = useState(0);
  const stop = useRef(false);
  const [stopping, setStopping] = useState(false);
  const summary = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    if (phase === 'done') summary.current?.focus();
  }, [phase]);

  const choose = async (file: File | undefined) => {
    setChosen(null);
    setFileError(null);
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      setFileError(`${file.name} is over ${MAX_FILE_BYTES / 1024 / 1024} MB: split it into smaller files.`);
      return;
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(await file.arrayBuffer());
    } catch {
      setFileError(`${file.name} is not UTF-8 text: save it as "CSV UTF-8" and choose it again.`);
      return;
    }
    const parsed = parseCsv(text);
    setChosen({ name: file.name, parsed, plan: batches(parsed.rows) });
  };

  const run = async (plan: Batch[]) => {
    setPhase('importing');
    stop.current = false;
    const done: Outcome[] = [];
    for (const batch of plan) {
      if (stop.current) {
        done.push({ kind: 'skipped' });
        continue;
      }
      try {
        const { upsertRecipients } = await request(DashboardUpsertRecipients, {
          input: { recipients: batch.rows.map(({ externalId, channels }) => ({ externalId, channels })) },
        });
        done.push({ kind: 'imported', ...upsertRecipients });
        onImported();
      } catch (e) {
        if (e instanceof RequestError && e.unauthenticated) {
          onUnauthenticated(e);
          return;
        }
        const errors = e instanceof RequestError ? e.errors : [{ message: String(e) }];
        done.push({ kind: 'refused', messages: errors.map((error) => refusalByLine(error.message, batch).message) });
      }
      setOutcomes([...done]);
      setSent((n) => n + batch.rows.length);
    }
    setOutcomes([...done]);
    setPhase('done');
  };

  const rows = chosen?.parsed.rows.length ?? 0;
  const problems = chosen?.parsed.problems ?? [];
  const plan = chosen?.plan ?? [];
  const ready = chosen !== null && rows > 0 && problems.length === 0;
  const percent = rows === 0 ? 0 : Math.round((sent / rows) * 100);

  return (
    <Dialog
      title="Import recipients from CSV"
      onClose={onClose}
      wide
      // While batches are being sent, Escape does not close the dialog: Stop does, after the batch in flight.
      onEscape={phase === 'importing' ? () => {} : undefined}
    >
      <div class="import-format" id={`${id}-format`}>
        <p>
          One recipient a line: its <code>externalId</code>, a comma, then its channels' slugs separated by <code>{CHANNEL_SEPARATOR}</code>{' '}
          (a semicolon). A first line <code>externalId,channels</code> is skipped; quote an externalId that holds a comma.
        </p>
        <pre>
          <code>{`externalId,channels\nuser-1042,marketing${CHANNEL_SEPARATOR}billing\nuser-1043,ops\nuser-1044,`}</code>
        </pre>
        <p class="hint">
          A recipient is created, or updated when its externalId exists: its channels become the line's (none when the field is empty). Sent
          in batches of up to {count(BATCH_ROWS)} lines; each batch is imported whole or not at all.
        </p>
      </div>

      {phase === 'choose' && (
        <div class="field">
          <label for={`${id}-file`}>CSV file</label>
          <input
            id={`${id}-file`}
            type="file"
            accept=".csv,text/csv"
            class="file"
            aria-describedby={`${id}-format`}
            onChange={(e) => choose(e.currentTarget.files?.[0])}
          />
        </div>
      )}

      {fileError && (
        <p role="alert" class="banner error">
          {fileError}
        </p>
      )}

      {chosen && phase === 'choose' && problems.length > 0 && (
        <div role="alert" class="banner error problems">
          <p>
            <strong>
              {counted(problems.length, 'line')} of {chosen.name} cannot be imported
            </strong>
            , so nothing was sent. Fix {problems.length === 1 ? 'it' : 'them'} and choose the file again.
          </p>
          <ul>
            {problems.slice(0, PROBLEMS_SHOWN).map((p) => (
              <li key={p.line}>
                Line {count(p.line)}: {p.message}
              </li>
            ))}
          </ul>
          {problems.length > PROBLEMS_SHOWN && <p>And {count(problems.length - PROBLEMS_SHOWN)} more.</p>}
        </div>
      )}
      {chosen && phase === 'choose' && problems.length === 0 && (
        <p role="status" class="chosen">
          {rows === 0 ? (
            <>{chosen.name} holds no recipients.</>
          ) : (
            <>
              <strong>{chosen.name}</strong>: {counted(rows, 'recipient')}
              {plan.length > 1 ? ` in ${count(plan.length)} batches` : ''}
              {chosen.parsed.header ? ' (the header line skipped)' : ''}.
            </>
          )}
        </p>
      )}

      {phase !== 'choose' && (
        <div class="import-progress">
          <div class="progress-head">
            <span id={`${id}-progress`}>Import progress</span>
            <span aria-hidden="true">{percent}%</span>
          </div>
          <progress aria-labelledby={`${id}-progress`} max={rows} value={sent} />
          <p class="hint">
            {phase === 'importing'
              ? `Batch ${Math.min(outcomes.length + 1, plan.length)} of ${plan.length}: ${count(sent)} of ${counted(rows, 'recipient')} sent.`
              : `${count(sent)} of ${counted(rows, 'recipient')} sent.`}
          </p>
        </div>
      )}

      {phase === 'done' && <Report summary={summary} plan={plan} outcomes={outcomes} />}
      {phase !== 'choose' && outcomes.length > 0 && (
        <ol class="batches" aria-label="Batches">
          {outcomes.map((outcome, i) => (
            <BatchLine key={plan[i].number} batch={plan[i]} of={plan.length} outcome={outcome} />
          ))}
        </ol>
      )}

      <div class="buttons">
        {phase === 'choose' && (
          <>
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            {ready && (
              <button type="button" class="primary" onClick={() => run(plan)}>
                Import {counted(rows, 'recipient')}
              </button>
            )}
          </>
        )}
        {phase === 'importing' && plan.length > 1 && (
          <button
            type="button"
            disabled={stopping}
            onClick={() => {
              stop.current = true;
              setStopping(true);
            }}
          >
            {stopping ? 'Stopping after this batch…' : 'Stop after this batch'}
          </button>
        )}
        {phase === 'done' && (
          <button type="button" class="primary" onClick={onClose}>
            Close
          </button>
        )}
      </div>
    </Dialog>
  );
}

function BatchLine({ batch, of, outcome }: { batch: Batch; of: number; outcome: Outcome }) {
  const name = `Batch ${batch.number} of ${of} (${linesOf(batch)})`;
  if (outcome.kind === 'imported') {
    return (
      <li class="batch imported">
        <span class="batch-state">Imported</span>
        <span>
          {name}: {count(outcome.created)} created, {count(outcome.updated)} updated.
        </span>
      </li>
    );
  }
  if (outcome.kind === 'skipped') {
    return (
      <li class="batch skipped">
        <span class="batch-state">Not sent</span>
        <span>{name}: stopped before it was sent.</span>
      </li>
    );
  }
  return (
    <li class="batch refused">
      <span class="batch-state">Not imported</span>
      <span>
        {name}: nothing of it was imported. {outcome.messages.join(' ')}
      </span>
    </li>
  );
}

function Report({ summary, plan, outcomes }: { summary: { current: HTMLParagraphElement | null }; plan: Batch[]; outcomes: Outcome[] }) {
  let imported = 0;
  let created = 0;
  let updated = 0;
  const missed: number[] = [];
  outcomes.forEach((outcome, i) => {
    if (outcome.kind === 'imported') {
      imported += plan[i].rows.length;
      created += outcome.created;
      updated += outcome.updated;
    } else missed.push(plan[i].number);
  });
  const total = plan.reduce((n, b) => n + b.rows.length, 0);
  const all = missed.length === 0;
  return (
    <div class={`banner ${all ? 'success' : 'error'}`} role={all ? 'status' : 'alert'}>
      <p ref={summary} tabIndex={-1} class="report">
        {all ? (
          <>
            <strong>Imported {counted(imported, 'recipient')}</strong>: {count(created)} created, {count(updated)} updated.
          </>
        ) : (
          <>
            <strong>{imported === 0 ? 'Nothing was imported' : `Imported ${count(imported)} of ${counted(total, 'recipient')}`}</strong>
            {imported > 0 && ` (${count(created)} created, ${count(updated)} updated)`}.{' '}
            {missed.length === 1 ? `Batch ${missed[0]} was` : `Batches ${missed.join(', ')} were`} not imported: fix the lines named below
            and import the file again (the recipients already imported are only updated).
          </>
        )}
      </p>
    </div>
  );
}
