// confirm.select and tx.select / commit / rollback on a channel.
import {
  CONFIRM_SELECT,
  CONFIRM_SELECT_OK,
  TX_COMMIT,
  TX_COMMIT_OK,
  TX_ROLLBACK,
  TX_ROLLBACK_OK,
  TX_SELECT,
  TX_SELECT_OK,
  channelError,
  preconditionFailed,
  AmqpError,
  type Method,
} from '../../protocol/index.js';
import type { MethodContext } from './context.js';
import { commitPublishes, rollbackPublishes } from './basic.js';

export function handleConfirmOrTx(ch: MethodContext, m: Method): void {
  switch (m.id) {
    case CONFIRM_SELECT:
      if (ch.txMode) throw preconditionFailed('cannot switch from tx to confirm mode');
      ch.selectConfirms();
      if (!m.nowait) ch.send({ id: CONFIRM_SELECT_OK });
      return;
    case TX_SELECT:
      if (ch.confirmMode) throw preconditionFailed('cannot switch from confirm to tx mode');
      ch.selectTx();
      ch.send({ id: TX_SELECT_OK });
      return;
    case TX_COMMIT:
      if (!ch.txMode) throw preconditionFailed('channel is not transactional');
      if (commitPublishes(ch)) {
        ch.deliveries.commit();
        // commit-ok only once the committed persistent messages are on disk.
        ch.vhost.persistence!.whenSynced((err) => {
          if (!ch.writable) return;
          if (err) ch.conn.onError(new AmqpError('INTERNAL_ERROR', `tx.commit failed: ${err.message}`), ch.id);
          else ch.send({ id: TX_COMMIT_OK });
        });
        return;
      }
      ch.deliveries.commit();
      ch.send({ id: TX_COMMIT_OK });
      return;
    case TX_ROLLBACK:
      if (!ch.txMode) throw preconditionFailed('channel is not transactional');
      rollbackPublishes(ch);
      ch.deliveries.rollback();
      ch.send({ id: TX_ROLLBACK_OK });
      return;
    default:
      throw channelError('unexpected confirm/tx method from client');
  }
}
