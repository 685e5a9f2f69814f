//! How gen asks glibc's allocator to give memory back to the system. A render
//! builds large values on some threads (the template value, tens of
//! megabytes), frees them, then lays out large files on others; glibc keeps
//! what each thread freed for that thread, so without this the peak would hold
//! both. Elsewhere (musl, other systems) nothing is asked.

/// Large blocks (a megabyte and more) are mapped on their own and unmapped
/// when freed. glibc would otherwise raise that threshold to the largest block
/// freed so far, and after the template value is freed, the formatter's large
/// buffers would come from heaps that never shrink.
pub fn map_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's allocation parameters, under its own lock.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Returns the free memory of every thread's heap to the system.
pub fn give_back_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory glibc holds free.
    unsafe {
        libc::malloc_trim(0);
    }
}
