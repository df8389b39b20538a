/**
 * @module components/DateRange
 * A from/to pair of datetime-local inputs (the user's local time), used by recordings and audit.
 */
import { useId } from 'react';

/** The last 7 days, the default range of the recordings and audit pages. */
export function defaultRange(now = new Date()): { from: Date; to: Date } {
  return { from: new Date(now.getTime() - 7 * 24 * 3600_000), to: new Date(now.getTime() + 3600_000) };
}

/** Two labelled date-time inputs. */
export function DateRange({ from, to, onChange }: { from: string; to: string; onChange: (from: string, to: string) => void }) {
  const id = useId();
  return (
    <fieldset className="date-range">
      <legend className="visually-hidden">Time range</legend>
      <div className="field">
        <label htmlFor={`${id}-from`}>From</label>
        <input id={`${id}-from`} type="datetime-local" value={from} onChange={(e) => onChange(e.target.value, to)} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-to`}>To</label>
        <input id={`${id}-to`} type="datetime-local" value={to} onChange={(e) => onChange(from, e.target.value)} />
      </div>
    </fieldset>
  );
}
