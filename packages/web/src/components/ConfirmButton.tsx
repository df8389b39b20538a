/**
 * @module components/ConfirmButton
 * A destructive action behind a confirmation: a native modal `<dialog>` (focus is trapped and
 * restored by the browser, Escape cancels).
 */
import { useId, useRef } from 'react';

/** A button that asks "`question`" in a modal dialog and runs `onConfirm` on confirmation. */
export function ConfirmButton({ label, confirmLabel, question, onConfirm, disabled }: {
  label: string; confirmLabel: string; question: string; onConfirm: () => void; disabled?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  return (
    <>
      <button type="button" className="btn btn-small btn-danger" disabled={disabled} onClick={() => ref.current?.showModal()}>
        {label}
      </button>
      <dialog ref={ref} className="confirm-dialog" aria-labelledby={`${id}-q`}>
        <p id={`${id}-q`}>{question}</p>
        <div className="form-actions">
          <button type="button" className="btn btn-danger" onClick={() => { ref.current?.close(); onConfirm(); }}>
            {confirmLabel}
          </button>
          <button type="button" className="btn" autoFocus onClick={() => ref.current?.close()}>Cancel</button>
        </div>
      </dialog>
    </>
  );
}
