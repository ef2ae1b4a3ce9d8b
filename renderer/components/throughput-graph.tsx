import { useId } from 'react';
import { describeDuration, formatBitRate } from '../lib/format';
import {
  graphGeometry,
  graphWindowMs,
  throughputSummary,
  windowStartLabel,
  type RateSample,
} from '../lib/throughput-graph';

const WIDTH = 600;
const HEIGHT = 140;

/**
 * Received and sent rates over the last two minutes (less for a young connection: the window
 * fits the history). Received is a solid line, sent a dashed one on top, so equal rates (a ping)
 * still show both. The scale's labels sit in their own column left of the plot, never over a
 * curve. The SVG is an image with a text alternative (its <desc>: averages, peaks and the current
 * rates); the legend says the current rates in words too, so nothing is only in the picture.
 */
export function ThroughputGraph({ samples }: { samples: readonly RateSample[] }) {
  const id = useId();
  const windowMs = graphWindowMs(samples);
  const geometry = graphGeometry(samples, WIDTH, HEIGHT, windowMs);
  const latest = samples.at(-1);
  return (
    <figure className="graph" aria-labelledby={`${id}-caption`}>
      <figcaption id={`${id}-caption`} className="graph__legend">
        <span className="graph__key graph__key--in">
          <span className="graph__swatch" aria-hidden="true" />
          Received <strong>{formatBitRate(latest?.rateIn ?? 0)}</strong>
        </span>
        <span className="graph__key graph__key--out">
          <span className="graph__swatch" aria-hidden="true" />
          Sent <strong>{formatBitRate(latest?.rateOut ?? 0)}</strong>
        </span>
      </figcaption>
      <div className="graph__plot">
        <div className="graph__scale" aria-hidden="true">
          {/* The gridlines sit at the top and the middle (graphGeometry); so do their labels. */}
          {geometry.gridlines.map(({ y, label }, i) => (
            <span key={y} className={`graph__label graph__label--${i === 0 ? 'top' : 'middle'}`}>
              {label}
            </span>
          ))}
          <span className="graph__label graph__label--bottom">0</span>
        </div>
        <svg
          className="graph__svg"
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          preserveAspectRatio="none"
          role="img"
          aria-labelledby={`${id}-title`}
          aria-describedby={`${id}-desc`}
        >
          <title
            id={`${id}-title`}
          >{`Throughput over the last ${describeDuration(windowMs)}`}</title>
          <desc id={`${id}-desc`}>{throughputSummary(samples, windowMs)}</desc>
          {geometry.gridlines.map(({ y }) => (
            <line key={y} className="graph__grid" x1="0" x2={WIDTH} y1={y} y2={y} />
          ))}
          <line className="graph__axis" x1="0" x2={WIDTH} y1={HEIGHT} y2={HEIGHT} />
          <path className="graph__area graph__area--in" d={geometry.inArea} />
          <path className="graph__area graph__area--out" d={geometry.outArea} />
          <path className="graph__line graph__line--in" d={geometry.inLine} />
          <path className="graph__line graph__line--out" d={geometry.outLine} />
        </svg>
        <div className="graph__time" aria-hidden="true">
          <span>{windowStartLabel(windowMs)}</span>
          <span>now</span>
        </div>
      </div>
    </figure>
  );
}
