/*
 * KVM x86 (TDP MMU) page fault vs. KVM_SET_MEMORY_ATTRIBUTES, one gfn.
 * See README.md.  Compile-time switches (spin -D...):
 *   BASE     base 7.3.4 ordering: is_private is decided before the
 *            mmu_invalidate_seq snapshot (expected to violate INV2)
 *   NOSTALE  drop both staleness checks (expected to violate INV1)
 *   REACH    non-vacuity probe: assert that no run ends with an installed
 *            SPTE (expected to fail, i.e. such a run exists)
 *   NV, NF, NFLIPS  vCPUs, faults per vCPU, attribute flips
 */
#ifndef NV
#define NV 2
#endif
#ifndef NF
#define NF 2
#endif
#ifndef NFLIPS
#define NFLIPS 2
#endif
#define ATTR0 0

bit  attr = ATTR0;   /* kvm->mem_attr_array[gfn] & PRIVATE (1 = private)   */
byte seq;            /* kvm->mmu_invalidate_seq                            */
byte in_progress;    /* kvm->mmu_invalidate_in_progress; the recorded range */
                     /* always contains the single gfn                     */
byte readers;        /* kvm->mmu_lock, an rwlock: faults take it for read,  */
bit  writer;         /* kvm_handle_gfn_range() for write                   */
bit  present;        /* SPTE for gfn is present ...                        */
bit  spte_priv;      /* ... and maps the guest_memfd pfn (1) or shared (0)  */
bit  shared_bit;     /* VM has a shared GPA bit (chosen once by init)       */
byte flips, installs, exits, done;

/* INV1: an installed SPTE agrees with the attributes. */
#define INV1 (!present || spte_priv == attr)

inline read_lock()    { atomic { writer == 0 -> readers++ } }
inline read_unlock()  { atomic { assert(INV1); readers-- } }
inline write_lock()   { atomic { writer == 0 && readers == 0 -> writer = 1 } }
inline write_unlock() { atomic { assert(INV1); writer = 0 } }

/* The access type: the GPA alias with a shared bit, else the attributes. */
#define DECIDE() is_private = (shared_bit -> acc : attr)

proctype vcpu()
{
	byte n, mmu_seq;
	bit acc, is_private;

	do
	:: n < NF ->
		if
		:: shared_bit -> if :: acc = 0 :: acc = 1 fi
		:: else -> acc = 0	/* unused */
		fi;
retry:		/* RET_PF_RETRY re-enters the guest, which faults again */
#ifdef BASE
		DECIDE();	/* kvm_mmu_page_fault(): PFERR_PRIVATE_ACCESS */
#endif
		mmu_seq = seq;	/* kvm_mmu_faultin_pfn(); smp_rmb() */
		atomic {
#ifndef BASE
			DECIDE();	/* patched: one read, after the snapshot */
#endif
			/* fault->is_private != kvm_mem_is_private(gfn) */
			if
			:: is_private != attr ->
				/* INV2: the access type really disagrees */
				assert(shared_bit && acc != attr);
				exits++;	/* KVM_EXIT_MEMORY_FAULT */
				goto next
			:: else
			fi
		}
#ifndef NOSTALE
		/* mmu_invalidate_retry_gfn_unsafe(), lockless */
		if
		:: in_progress != 0 || seq != mmu_seq -> goto retry
		:: else
		fi;
#endif
		/* __kvm_mmu_faultin_pfn(): pfn from guest_memfd if is_private,
		 * else from the shared backing; recorded as spte_priv below */
		read_lock();
#ifndef NOSTALE
		/* is_page_fault_stale() -> mmu_invalidate_retry_gfn() */
		if
		:: in_progress != 0 || seq != mmu_seq ->
			read_unlock();
			goto retry
		:: else
		fi;
#endif
		/* kvm_tdp_mmu_map(): atomic SPTE install under the read lock */
		atomic { present = 1; spte_priv = is_private; installs++ }
		read_unlock();
next:
		n++
	:: else -> break
	od;
	done++
}

/* Userspace flipping the attribute with KVM_SET_MEMORY_ATTRIBUTES. */
proctype set_attributes()
{
	do
	:: flips < NFLIPS ->
		/* kvm_handle_gfn_range(&pre_set_range) */
		write_lock();
		in_progress++;		/* kvm_mmu_invalidate_start() */
					/* kvm_mmu_invalidate_range_add(gfn) */
		present = 0;		/* kvm_arch_pre_set_memory_attributes(): zap */
		write_unlock();
		attr = 1 - attr;	/* xa_store(), outside mmu_lock */
		/* kvm_handle_gfn_range(&post_set_range) */
		write_lock();
		seq++;			/* kvm_mmu_invalidate_end(); smp_wmb() */
		in_progress--;
		write_unlock();
		flips++
	:: else -> break
	od;
	done++
}

/* INV1 in every reachable state, not only at lock release. */
active proctype monitor()
{
end:	atomic { !INV1 -> assert(false) }
}

init
{
	byte i;

	if :: shared_bit = 0 :: shared_bit = 1 fi;
	atomic {
		run set_attributes();
		for (i : 1 .. NV) { run vcpu() }
	}
	done == NV + 1;
	assert(INV1 && readers == 0 && writer == 0 && in_progress == 0);
	assert(installs + exits == NV * NF);
#ifndef BASE
	/* without a shared bit every fault ends in an install */
	assert(shared_bit || installs == NV * NF);
#endif
#ifdef REACH
	/* the last flip zapped the SPTE, so this fails iff a fault can
	 * install after an invalidation, through the staleness check */
	assert(!present);
#endif
}
