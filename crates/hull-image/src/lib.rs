//! Image sources (docker-archive, OCI layout/archive, rootfs dir, registry) turned into
//! one flattened, whiteout-aware view of files, with limits against hostile input.
