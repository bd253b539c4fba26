/** The probe and Prometheus signals behind queue-core's `OriginSignalReader`. */
import type { OriginSignalReader } from '../../queue-core/adaptive-inlet.ts';
import { readProbe } from './probe.ts';
import { readPrometheus } from './prometheus.ts';

export const readOriginSignal: OriginSignalReader = async (inlet, now) => {
  switch (inlet.signal.type) {
    case 'probe':
      return readProbe(inlet.signal, inlet, now);
    case 'prometheus':
      return readPrometheus(inlet.signal, now);
    case 'push':
      throw new Error('a pushed signal is read from the store');
  }
};
