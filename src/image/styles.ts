import { AppError, invalidArgument } from '../errors.js';
import { jsonConfig, readConfig, updateConfig } from '../domain/bucket-config.js';
import { requireBucket, type DomainContext } from '../domain/context.js';
import { validateStyleContent } from './parse.js';
import type { BucketIncarnation } from '../store/meta/types.js';

// Image styles (PutStyle / GetStyle / ListStyle / DeleteStyle, `x-oss-process=style/<name>`): one bucket
// configuration, ConfigKind 'image-styles', holding every style of the bucket (docs/image-processing.md).

export interface ImageStyle {
  name: string;
  content: string;
  category: string;
  /** Milliseconds since the epoch. */
  createTime: number;
  lastModifyTime: number;
}

interface StylesDoc {
  styles: ImageStyle[];
}

export const stylesConfig = jsonConfig<StylesDoc>('image-styles');

/** Styles per bucket (OSS allows 50). */
export const MAX_STYLES = 50;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const CATEGORIES = new Set(['image', 'document', 'video']);

export function assertStyleName(name: string): void {
  if (!NAME.test(name)) throw invalidArgument('The style name must be 1 to 64 letters, digits, "_", "-" or ".".', 'styleName', name.slice(0, 64));
}

export class ImageStyleService {
  constructor(private readonly ctx: DomainContext) {}

  /** `sameBucket`: the bucket the request was authorized on, captured before its body (ConfigWriteOptions). */
  async put(bucket: string, name: string, content: string, category = 'image', sameBucket?: BucketIncarnation): Promise<void> {
    assertStyleName(name);
    if (!CATEGORIES.has(category)) throw invalidArgument('category must be image, document or video.', 'category', category.slice(0, 64));
    if (category !== 'image') throw new AppError('NotImplemented', 'Only image styles are implemented by Alunite.');
    validateStyleContent(content);
    const now = this.ctx.clock();
    await updateConfig(this.ctx, bucket, stylesConfig, (current) => {
      const styles = current?.styles ?? [];
      const old = styles.find((s) => s.name === name);
      if (old === undefined && styles.length >= MAX_STYLES) {
        throw new AppError('InvalidArgument', `A bucket can have at most ${MAX_STYLES} styles.`, { ArgumentName: 'styleName', ArgumentValue: name });
      }
      const next: ImageStyle = { name, content, category, createTime: old?.createTime ?? now, lastModifyTime: now };
      // Kept in creation order: a new style goes last, a replaced one stays where it was (see list).
      return { styles: old === undefined ? [...styles, next] : styles.map((s) => (s.name === name ? next : s)) };
    }, { sameBucket });
  }

  async get(bucket: string, name: string): Promise<ImageStyle> {
    assertStyleName(name);
    const found = (await this.list(bucket)).find((s) => s.name === name);
    if (found === undefined) throw new AppError('NoSuchStyle', undefined, { StyleName: name });
    return found;
  }

  /**
   * The styles in the order they were created, as OSS lists them: the Go SDK v1's TestBucketStyle puts three
   * styles with random names and expects the second and third at [1] and [2]; oss2's test_bucket_style_normal
   * puts `imagestyle` then `imagestyle1` and reads them at [0] and [1]. The document keeps that order; the
   * stable sort on CreateTime also orders documents an older Alunite kept sorted by name.
   */
  async list(bucket: string): Promise<ImageStyle[]> {
    const b = await requireBucket(this.ctx, bucket);
    return [...(readConfig(b, stylesConfig)?.styles ?? [])].sort((x, y) => x.createTime - y.createTime);
  }

  async delete(bucket: string, name: string): Promise<void> {
    assertStyleName(name);
    await updateConfig(this.ctx, bucket, stylesConfig, (current) => {
      const styles = current?.styles ?? [];
      // A style that is not there is deleted already: 204, as the Go SDK v1's own TestBucketStyle expects of OSS.
      if (!styles.some((s) => s.name === name)) return current;
      const rest = styles.filter((s) => s.name !== name);
      return rest.length === 0 ? null : { styles: rest };
    }, { removing: true });
  }
}
