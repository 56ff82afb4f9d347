use super::*;

#[test]
fn prepared_memory_is_picked_up_and_other_sizes_still_work() {
    // Sizes no other test uses, since the prepared mapping is process-wide.
    prepare(777, Strategy::HugePages);
    let mut m = Memory::new(777, Strategy::HugePages);
    assert_eq!(m.blocks().len(), 777);
    assert!(
        m.blocks()
            .iter()
            .all(|b| b.as_ref().iter().all(|&w| w == 0))
    );
    prepare(779, Strategy::HugePages);
    let mut other = Memory::new(781, Strategy::HugePages);
    assert_eq!(other.blocks().len(), 781);
    prepare(783, Strategy::Ordinary);
    let mut prepared = Memory::new(783, Strategy::Ordinary);
    assert!(!prepared.is_mapped());
    assert!(
        prepared
            .blocks()
            .iter()
            .all(|b| b.as_ref().iter().all(|&w| w == 0))
    );
    let mut plain = Memory::new(5, Strategy::Ordinary);
    assert!(!plain.is_mapped());
    assert_eq!(plain.blocks().len(), 5);
}

#[test]
fn a_kept_thread_reuses_its_memory_and_wipes_it_when_idle() {
    std::thread::spawn(|| {
        keep_on_this_thread();
        let mut m = Memory::new(1024, Strategy::HugePages);
        let first = m.blocks().as_ptr();
        m.blocks()[3].as_mut()[7] = 0xdead_beef;
        drop(m);
        wipe_kept();
        let mut again = Memory::new(1024, Strategy::HugePages);
        assert_eq!(again.blocks().as_ptr(), first, "the same memory, reused");
        assert!(
            again
                .blocks()
                .iter()
                .all(|b| b.as_ref().iter().all(|&w| w == 0)),
            "and wiped while the thread was idle"
        );
        again.blocks()[5].as_mut()[1] = 7;
        drop(again);
        // Another size is fresh memory; the kept one stays for its own size.
        let other = Memory::new(512, Strategy::HugePages);
        drop(other);
        wipe_kept();
        let mut third = Memory::new(1024, Strategy::HugePages);
        assert_eq!(third.blocks().as_ptr(), first);
        assert_eq!(
            third.blocks()[5].as_ref()[1],
            0,
            "wiped before it was kept again"
        );
    })
    .join()
    .unwrap();
}
