/*
 * Stand-in for bcryptprimitives.dll under Wine 8.
 *
 * Rust's standard library (1.78 and later) on Windows imports ProcessPrng from
 * bcryptprimitives.dll to seed HashMap keys. Wine 8.0 ships a bcryptprimitives.dll without that
 * export, so every Rust test executable fails to load ("entry point not found"). This DLL,
 * placed next to the executables (the application directory comes first in the DLL search
 * order), exports ProcessPrng and fills the buffer with RtlGenRandom (advapi32's
 * SystemFunction036), which Wine implements.
 *
 * Only for running the test suite under Wine; never shipped. Built by build.sh.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    /* The real ProcessPrng always returns TRUE. */
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
