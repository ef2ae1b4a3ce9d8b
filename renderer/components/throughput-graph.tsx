import { useId } from 'react';
import { formatBitRate } from '../lib/format';
import { graphGeometry, throughputSummary, type RateSample } from '../lib/throughput-graph';

const WIDTH = 600;
const HEIGHT = 140;

/**
 * Received and sent rates over the last two minutes. The SVG is an image with a text
 * alternative (its <desc>: averages, peaks and the current rates); the legend says the current
 * rates in words too, so nothing is only in the picture.
 */
export function ThroughputGraph({ samples }: { samples: readonly RateSample[] }) {
  const id = useId();
  const geometry = graphGeometry(samples, WIDTH, HEIGHT);
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
        <svg
          className="graph__svg"
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          preserveAspectRatio="none"
          role="img"
          aria-labelledby={`${id}-title`}
          aria-describedby={`${id}-desc`}
        >
          <title id={`${id}-title`}>Throughput over the last 2 minutes</title>
          <desc id={`${id}-desc`}>{throughputSummary(samples)}</desc>
          {geometry.gridlines.map(({ y }) => (
            <line key={y} className="graph__grid" x1="0" x2={WIDTH} y1={y} y2={y} />
          ))}
          <line className="graph__axis" x1="0" x2={WIDTH} y1={HEIGHT} y2={HEIGHT} />
          <path className="graph__area graph__area--in" d={geometry.inArea} />
          <path className="graph__area graph__area--out" d={geometry.outArea} />
          <path className="graph__line graph__line--in" d={geometry.inLine} />
          <path className="graph__line graph__line--out" d={geometry.outLine} />
        </svg>
        <div className="graph__labels" aria-hidden="true">
          {/* The gridlines sit at the top and the middle (graphGeometry); so do their labels. */}
          {geometry.gridlines.map(({ y, label }, i) => (
            <span key={y} className={`graph__label graph__label--${i === 0 ? 'top' : 'middle'}`}>
              {label}
            </span>
          ))}
        </div>
        <div className="graph__time" aria-hidden="true">
          <span>2 min ago</span>
          <span>now</span>
        </div>
      </div>
    </figure>
  );
}
