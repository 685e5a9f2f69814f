//! Which allocator gen uses, and how it gives memory back to the system.
//!
//! A render allocates and frees millions of small values on every thread: the
//! template value of the cluster (tens of megabytes), built on some threads
//! and freed, then the formatter's trees of each file on others. jemalloc (the
//! default `jemalloc` feature) serves that about a fifth faster than glibc's
//! allocator, and returns freed pages a second after their last use. Without
//! it, glibc's allocator is asked to give memory back; elsewhere (musl, other
//! systems) nothing is asked.

#[cfg(all(feature = "jemalloc", unix))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read when it starts: pages freed and unused for a
/// second go back to the system (its default waits ten, then keeps them
/// counted for ten more), so the peak stays where glibc's was.
#[cfg(all(feature = "jemalloc", unix))]
#[unsafe(export_name = "_rjem_malloc_conf")]
static JEMALLOC_SETTINGS: Settings = Settings(c"dirty_decay_ms:1000,muzzy_decay_ms:0".as_ptr());

/// jemalloc reads its settings through a C string pointer (`malloc_conf`).
#[cfg(all(feature = "jemalloc", unix))]
#[repr(transparent)]
struct Settings(*const std::ffi::c_char);

// SAFETY: the pointer is to a string literal, never written.
#[cfg(all(feature = "jemalloc", unix))]
unsafe impl Sync for Settings {}

/// Large blocks (a megabyte and more) are mapped on their own and unmapped
/// when freed. glibc would otherwise raise that threshold to the largest block
/// freed so far, and after the template value is freed, the formatter's large
/// buffers would come from heaps that never shrink.
pub fn map_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu", not(feature = "jemalloc")))]
    // SAFETY: mallopt only changes glibc's allocation parameters, under its own lock.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Returns the free memory of every thread's heap to the system; glibc keeps
/// what each thread freed for that thread, so without this the peak would hold
/// both the template value and the formatter's trees.
pub fn give_back_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu", not(feature = "jemalloc")))]
    // SAFETY: malloc_trim only releases memory glibc holds free.
    unsafe {
        libc::malloc_trim(0);
    }
}
