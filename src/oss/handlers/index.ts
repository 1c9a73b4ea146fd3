import type { HandlerTable } from '../context.js';
import * as bucket from './bucket.js';
import * as archive from './archive.js';
import * as encryption from './encryption.js';
import * as lifecycle from './lifecycle.js';
import * as mp from './multipart.js';
import * as object from './object.js';
import { postObject } from './post-object.js';
import * as retention from './retention.js';
import * as service from './service.js';
import { unimplemented } from './unimplemented.js';
import { storedHandlers } from '../stored/handlers.js';

/** Operation name → handler. The compiler checks that every operation has exactly one. */
export const handlers: HandlerTable = {
  ListBuckets: service.listBuckets,
  PutBucket: bucket.putBucket,
  DeleteBucket: bucket.deleteBucket,
  GetBucketInfo: bucket.getBucketInfo,
  GetBucketLocation: bucket.getBucketLocation,
  GetBucketAcl: bucket.getBucketAcl,
  PutBucketAcl: bucket.putBucketAcl,
  GetBucketPolicy: bucket.getBucketPolicy,
  PutBucketPolicy: bucket.putBucketPolicy,
  DeleteBucketPolicy: bucket.deleteBucketPolicy,
  GetBucketCors: bucket.getBucketCors,
  PutBucketCors: bucket.putBucketCors,
  DeleteBucketCors: bucket.deleteBucketCors,
  GetBucketEncryption: encryption.getBucketEncryption,
  PutBucketEncryption: encryption.putBucketEncryption,
  DeleteBucketEncryption: encryption.deleteBucketEncryption,
  PutBucketVersioning: bucket.putBucketVersioning,
  GetBucketVersioning: bucket.getBucketVersioning,
  ListObjectVersions: bucket.listObjectVersions,
  GetBucketLifecycle: lifecycle.getBucketLifecycle,
  PutBucketLifecycle: lifecycle.putBucketLifecycle,
  DeleteBucketLifecycle: lifecycle.deleteBucketLifecycle,
  ListObjects: bucket.listObjects,
  ListObjectsV2: bucket.listObjectsV2,
  ListMultipartUploads: bucket.listMultipartUploads,
  DeleteMultipleObjects: bucket.deleteMultipleObjects,
  PutObject: object.putObject,
  GetObject: object.getObject,
  HeadObject: object.headObject,
  GetObjectMeta: object.getObjectMeta,
  DeleteObject: object.deleteObject,
  CopyObject: object.copyObject,
  AppendObject: object.appendObject,
  GetObjectAcl: object.getObjectAcl,
  PutObjectAcl: object.putObjectAcl,
  PutSymlink: object.putSymlink,
  GetSymlink: object.getSymlink,
  GetObjectTagging: object.getObjectTagging,
  PutObjectTagging: object.putObjectTagging,
  DeleteObjectTagging: object.deleteObjectTagging,
  InitiateMultipartUpload: mp.initiateMultipartUpload,
  UploadPart: mp.uploadPart,
  UploadPartCopy: mp.uploadPartCopy,
  CompleteMultipartUpload: mp.completeMultipartUpload,
  AbortMultipartUpload: mp.abortMultipartUpload,
  ListParts: mp.listParts,
  InitiateBucketWorm: retention.initiateBucketWorm,
  AbortBucketWorm: retention.abortBucketWorm,
  CompleteBucketWorm: retention.completeBucketWorm,
  ExtendBucketWorm: retention.extendBucketWorm,
  GetBucketWorm: retention.getBucketWorm,
  RestoreObject: archive.restoreObject,
  CleanRestoredObject: archive.cleanRestoredObject,
  PostObject: postObject,
  Unimplemented: unimplemented,
  // Stored bucket configurations (src/oss/stored/, generated schemas).
  ...storedHandlers,
};
