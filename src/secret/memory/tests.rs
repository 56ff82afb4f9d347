use super::*;

fn zero(m: &mut Memory) -> bool {
    m.blocks()
        .iter()
        .all(|b| b.as_ref().iter().all(|&w| w == 0))
}

#[test]
fn prepared_memory_is_picked_up_and_other_sizes_still_work() {
    let arena = Arena::new(Strategy::HugePages, Reuse::WipeNow);
    arena.prepare(777);
    let mut m = arena.take(777);
    assert_eq!(m.blocks().len(), 777);
    assert!(zero(&mut m));
    arena.prepare(779);
    let mut other = arena.take(781);
    assert_eq!(other.blocks().len(), 781);
    let ordinary = Arena::new(Strategy::Ordinary, Reuse::WipeNow);
    ordinary.prepare(783);
    let mut prepared = ordinary.take(783);
    assert!(!prepared.is_mapped());
    assert!(zero(&mut prepared));
    let mut plain = ordinary.take(5);
    assert!(!plain.is_mapped());
    assert_eq!(plain.blocks().len(), 5);
}

#[test]
fn a_keeping_arena_reuses_its_memory_and_wipes_it_when_idle() {
    let arena = Arena::new(Strategy::HugePages, Reuse::Keep);
    let mut m = arena.take(1024);
    let first = m.blocks().as_ptr();
    m.blocks()[3].as_mut()[7] = 0xdead_beef;
    arena.give_back(m);
    arena.wipe_idle();
    let mut again = arena.take(1024);
    assert_eq!(again.blocks().as_ptr(), first, "the same memory, reused");
    assert!(zero(&mut again), "and wiped while the arena was idle");
    again.blocks()[5].as_mut()[1] = 7;
    arena.give_back(again);
    // Another size is fresh memory; the kept one stays for its own size.
    let other = arena.take(512);
    arena.give_back(other);
    arena.wipe_idle();
    let mut third = arena.take(1024);
    assert_eq!(third.blocks().as_ptr(), first);
    assert_eq!(third.blocks()[5].as_ref()[1], 0, "wiped before it was kept");
}

#[test]
fn background_wipes_are_all_done_when_the_arena_finishes() {
    let arena = Arena::new(Strategy::Ordinary, Reuse::WipeInBackground);
    for _ in 0..3 {
        let mut m = arena.take(64);
        m.blocks()[0].as_mut()[0] = 1;
        arena.give_back(m);
    }
    arena.finish();
    assert!(arena.wiping.lock().unwrap().is_empty());
}
