/**
 * Physical constants used across the toolkit. Each carries its value's
 * conditions and source; anything a user may change is a parameter elsewhere,
 * not a constant here.
 *
 * @module
 */

/**
 * Speed of sound in m/s in dry air at 20 °C and 101.325 kPa.
 *
 * The ideal-gas value is `c = 331.3·√(1 + T/273.15)` m/s with T in °C, which
 * gives 343.2 m/s at 20 °C [1, ch. 5]; 343 is the customary rounded figure.
 * Its error (0.06 %) is far below the effect of a few degrees of room
 * temperature (about 0.6 m/s per °C).
 *
 * References:
 * 1. L. E. Kinsler, A. R. Frey, A. B. Coppens, J. V. Sanders, "Fundamentals
 *    of Acoustics", 4th ed., Wiley, 2000.
 */
export const SPEED_OF_SOUND_MPS = 343; // 20 °C, dry air [1]

/**
 * Reference sound pressure for levels in dB SPL: 20 µPa (ISO 1683:2015, in
 * air). `levelDbSpl = 20·log10(pRmsPa / REFERENCE_PRESSURE_PA)`.
 */
export const REFERENCE_PRESSURE_PA = 20e-6; // ISO 1683:2015, air
