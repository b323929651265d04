#define G_LOG_DOMAIN "ave-composer"

#include "config.h"

#include <math.h>
#include <string.h>
#include <ebur128.h>
#include <libavutil/frame.h>
#include <libavutil/mathematics.h>

#include "core/ave-error.h"
#include "media/ave-media-private.h"
#include "media/ave-proxy.h"
#include "assets/ave-cards.h"
#include "assets/ave-captions.h"
#include "ave-compose-private.h"
#include "ave-composer.h"
#include "ave-smart-cut.h"

/* How a plan becomes a file (docs/composition.md has the long version).
 *
 * Everything is laid on one output grid: frame f lasts 1/fps, and the audio
 * that goes with frames [0, f) is exactly a(f) = round(f * 48000 / fps)
 * samples.  Each enabled segment becomes a "piece" that owns the frames
 * [F, E) and plays source time src_start + (f - F) / fps at frame f; its
 * audio sample a(F) + k plays source sample round(src_start * 48000) + k.
 * Because both are anchored on the same grid position, A/V offsets can never
 * accumulate across cuts: each piece is within half a frame on its own.
 *
 * Pieces are read in order by streaming AveMediaSources (at most two alive:
 * a crossfade or an audio cross-fade overlaps two pieces), mixed into the
 * output, and sent to the encoder frame by frame.  Nothing grows with the
 * length of the input.
 *
 * A TITLE card is a piece too: it owns its frames on the same grid, shows
 * one picture drawn once (ave-cards.c) and contributes silence, so
 * everything after it stays in sync.  OVERLAY cards are composited on the
 * finished frames of their time range. */

#define OUTPUT_RATE        48000
/* With no video the grid only rounds segment edges; 10 ms is finer than
 * anyone can hear at a cut. */
#define AUDIO_ONLY_GRID    100
/* Decoded frame timestamps jitter by a few samples (AAC priming, resampler
 * rounding); gaps smaller than this are joined instead of filled. */
#define AUDIO_SNAP_SAMPLES 96
#define LIMITER_CEILING_DB (-1.5)   /* margin under the -1 dBTP promise for AAC's own overshoot */
#define LIMITER_LOOKAHEAD  0.005
#define LIMITER_RELEASE    0.080
#define MAX_GAIN_DB        30.0
#define MAX_MAKE_UP_DB     3.0
#define AUDIO_CHUNK        4800

typedef enum {
  RAMP_RAISED_COSINE,   /* amplitudes sum to 1: short fades at cuts never boost correlated audio */
  RAMP_EQUAL_POWER,     /* powers sum to 1: long crossfades between different sounds keep level */
} RampShape;

typedef struct _Reader Reader;
typedef AveComposition Composer;

/* A local name so this cleanup function cannot clash with one declared
 * for AVFrame elsewhere in the engine. */
typedef AVFrame OutFrame;

static void
out_frame_free (OutFrame *frame)
{
  av_frame_free (&frame);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OutFrame, out_frame_free)

typedef struct
{
  double    src_start;          /* source seconds shown by the first frame */
  gint64    first_frame;        /* F */
  gint64    end_frame;          /* E (exclusive) */
  gint64    anchor_sample;      /* a(F): the output sample that plays src_start */
  gint64    src_anchor_sample;  /* round(src_start * 48000) */
  gint64    audio_first;        /* P: first output sample this piece contributes to */
  gint64    audio_end;          /* Q (exclusive) */
  gint64    ramp_in, ramp_out;  /* samples of fade at each end of [P, Q) */
  RampShape shape_in, shape_out;
  gint64    black_in, black_out; /* frames faded from / to black */
  Reader   *reader;             /* while it decodes */
  AveCard  *card;               /* a TITLE card: no reader, no sound */
  AVFrame  *still;              /* the card's picture, while active */
  /* Once its pictures are all written, a piece hands its reader to the
   * next one and plays the last few milliseconds of its sound from here. */
  float    *tail[2];
  gsize     tail_len, tail_pos;
  gboolean  drained;
  gboolean  active;
  gboolean  done;
} Piece;

/* One AveMediaSource and where it stands.  Readers outlive pieces: the
 * next piece takes one over and, when its start lies a little ahead,
 * simply reads on instead of seeking. */
struct _Reader
{
  AveMediaSource *source;
  /* With a preview proxy: the pictures come from the proxy (source) and
   * the sound from the source file itself (sound), seeked together. */
  AveMediaSource *sound;
  gboolean        want_video, want_audio;
  gboolean        positioned;      /* seeked at least once */
  AVFrame        *video_cur;
  AVFrame        *video_next;
  gboolean        video_eof;
  AVFrame        *audio;
  gint64          audio_start;     /* 48 kHz sample index of audio's first sample */
  gint64          audio_expected;  /* where a contiguous next frame would start */
  gboolean        audio_eof;
  gint64          next_sample;     /* source sample index to deliver next */
};

/* An OVERLAY card on the output grid; its picture exists only while it is
 * on screen. */
typedef struct
{
  AveCard  *card;
  gint64    first_frame, end_frame;
  gint64    fade_frames;        /* ramp of opacity at each end */
  int       draw_box[4];        /* x, y, width, height at the render's size */
  int       x, y, width, height;  /* where rgba goes in the composition */
  guint8   *rgba;
  int       stride;
} Overlay;

struct _AveComposition
{
  const AveSettings *settings;
  AveCompute        *compute;
  char              *source_path;
  char              *proxy_path;    /* the preview's pictures, or NULL */
  AveMediaInfo      *info;
  AveMediaSourceOptions options;

  gboolean           has_video, has_audio;
  int                width, height;
  int                draw_width, draw_height; /* the render's size: cards and captions are laid out at it */
  AveComputeMatrix   matrix;        /* the source's pictures' and so the output's */
  AVRational         fps;
  int                channels;

  Piece             *pieces;
  guint              n_pieces;
  guint              first_live;    /* pieces before it are finished */
  gint64             n_frames;

  GPtrArray         *free_readers;  /* Reader*, no piece uses them */
  Overlay           *overlays;
  guint              n_overlays;
  AVFrame           *black;
  /* A frame that needs any work (scale, fade, dissolve, cards, caption)
   * is described to the chain and made into `composed`; one that needs
   * none is the decoded picture itself. */
  AveComputeFrameChain *chain;
  AVFrame           *composed;
  /* Decoded pictures are scaled to the composition's size by the compute
   * backend (compute_scales), in the chain; else the decoder's swscale
   * makes them at that size. */
  gboolean           compute_scales;

  float             *mix[2];
  float             *piece_buf[2];
  gsize              buf_len;
  double             gain;
  AveLimiter        *limiter;
  ebur128_state     *meter;
  float             *interleaved;
  AveMp4Writer      *writer;
  const AveMp4PacketSink *sink;     /* the sound only, to it (the smart cut) */

  /* Burned captions: the cue on screen is drawn once per highlighted
   * word and composited like an overlay. */
  const AveComposeCaptions *captions;
  gboolean           burn;
  guint              cue_next;      /* cues before it have ended */
  int                caption_cue;   /* the cue drawn in caption_rgba, -1 none */
  int                caption_word;  /* and its highlighted word */
  guint8            *caption_rgba;
  int                caption_stride;
  int                caption_x, caption_y, caption_width, caption_height;
  gint64             frames_captioned;

  /* Where the composed frames and sound go: the MP4 writer for a render
   * (render_video, render_sound), an AveEditStream for the preview. */
  AveCompositionVideoFunc emit_video;
  AveCompositionSoundFunc emit_sound;
  gpointer           consumer_data;
  guint              next_piece;    /* the first piece not yet activated */

  AveProgressFunc    progress;
  gpointer           progress_data;
  double             last_progress;
};

static void
reader_clear_frames (Reader *r)
{
  av_frame_free (&r->video_cur);
  av_frame_free (&r->video_next);
  av_frame_free (&r->audio);
  r->video_eof = FALSE;
  r->audio_eof = FALSE;
  r->audio_expected = G_MININT64;
}

static void
reader_free (Reader *r)
{
  if (r == NULL)
    return;
  reader_clear_frames (r);
  g_clear_pointer (&r->source, ave_media_source_free);
  g_clear_pointer (&r->sound, ave_media_source_free);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reader, reader_free)

static void
piece_clear_tail (Piece *p)
{
  for (guint ch = 0; ch < G_N_ELEMENTS (p->tail); ch++)
    g_clear_pointer (&p->tail[ch], g_free);
  p->tail_len = p->tail_pos = 0;
}

static void
composer_free (Composer *c)
{
  if (c == NULL)
    return;
  for (guint i = 0; i < c->n_pieces; i++)
    {
      g_clear_pointer (&c->pieces[i].reader, reader_free);
      g_clear_pointer (&c->pieces[i].card, ave_card_free);
      av_frame_free (&c->pieces[i].still);
      piece_clear_tail (&c->pieces[i]);
    }
  g_free (c->pieces);
  for (guint i = 0; i < c->n_overlays; i++)
    {
      g_clear_pointer (&c->overlays[i].card, ave_card_free);
      g_clear_pointer (&c->overlays[i].rgba, g_free);
    }
  g_free (c->overlays);
  g_free (c->caption_rgba);
  g_clear_pointer (&c->free_readers, g_ptr_array_unref);
  av_frame_free (&c->black);
  g_clear_pointer (&c->chain, ave_compute_frame_chain_free);
  av_frame_free (&c->composed);
  for (guint i = 0; i < 2; i++)
    {
      g_free (c->mix[i]);
      g_free (c->piece_buf[i]);
    }
  g_clear_pointer (&c->limiter, _ave_limiter_free);
  if (c->meter != NULL)
    ebur128_destroy (&c->meter);
  g_free (c->interleaved);
  g_clear_pointer (&c->writer, _ave_mp4_writer_free);
  g_clear_pointer (&c->info, ave_media_info_free);
  g_free (c->source_path);
  g_free (c->proxy_path);
  g_clear_object (&c->compute);
  g_free (c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Composer, composer_free)

static void
report_progress (Composer *c,
                 double    fraction)
{
  ave_progress_report (c->progress, c->progress_data, &c->last_progress, fraction);
}

/* ------------------------------------------------------------ the grid */

/* Output samples that accompany the first `frame` frames. */
static inline gint64
grid_sample (Composer *c,
             gint64    frame)
{
  return av_rescale_rnd (frame, (gint64) OUTPUT_RATE * c->fps.den, c->fps.num, AV_ROUND_NEAR_INF);
}

static inline gint64
grid_frame (Composer *c,
            double    seconds)
{
  return (gint64) llround (seconds * av_q2d (c->fps));
}

/* Lays the plan's output items (enabled segments and TITLE cards, from
 * ave_plan_list_output_items(), the same list the timeline shows) on the
 * output grid.  Frame edges come from the cumulative output time, not from
 * per-item rounding, so the total stays within one frame of
 * ave_plan_get_output_duration() however many cuts there are. */
static void
plan_pieces (Composer *c,
             AvePlan  *plan)
{
  g_autoptr(GArray) items = ave_plan_list_output_items (plan);
  double fade = MAX (c->settings->audio_fade_duration, 0.0);
  gint64 half_fade = (gint64) llround (fade * OUTPUT_RATE / 2.0);

  c->pieces = g_new0 (Piece, MAX (items->len, 1));
  c->n_pieces = 0;

  for (guint i = 0; i < items->len; i++)
    {
      const AveOutputItem *item = &g_array_index (items, AveOutputItem, i);
      Piece *piece, *prev;
      gint64 first, end;

      if (item->duration <= 0.0)
        continue;

      first = grid_frame (c, item->output_start);
      end = grid_frame (c, item->output_start + item->duration);

      /* Shorter than half a frame: it cannot be shown at this frame rate. */
      if (end <= first)
        continue;

      piece = &c->pieces[c->n_pieces++];
      if (item->card != NULL)
        piece->card = ave_card_copy (item->card);
      else
        {
          piece->src_start = item->segment->start;
          piece->src_anchor_sample = (gint64) llround (item->segment->start * OUTPUT_RATE);
        }
      piece->first_frame = first;
      piece->end_frame = end;
      piece->anchor_sample = grid_sample (c, first);
      piece->audio_first = piece->anchor_sample;
      piece->audio_end = grid_sample (c, end);

      prev = c->n_pieces > 1 ? &c->pieces[c->n_pieces - 2] : NULL;
      if (prev == NULL)
        {
          /* Start from silence: a waveform cut mid-cycle clicks too. */
          piece->ramp_in = MIN (half_fade, (piece->audio_end - piece->audio_first) / 4);
          piece->shape_in = RAMP_RAISED_COSINE;
          continue;
        }

      if (first < prev->end_frame)
        {
          /* Crossfade.  Only a hand-made plan whose crossfades are longer
           * than half a segment could make three pieces overlap; the
           * dissolve then starts after the previous one's own dissolve. */
          gint64 prev_free = prev->first_frame;
          if (prev > c->pieces && (prev - 1)->end_frame > prev_free)
            prev_free = (prev - 1)->end_frame;
          if (first < prev_free)
            first = piece->first_frame = prev_free;
          piece->anchor_sample = grid_sample (c, first);
          piece->audio_first = piece->anchor_sample;
          piece->ramp_in = prev->audio_end - piece->audio_first;
          prev->ramp_out = piece->ramp_in;
          piece->shape_in = prev->shape_out = RAMP_EQUAL_POWER;
        }
      else
        {
          if (prev->card != NULL || piece->card != NULL)
            {
              /* Sound meets a silent card: the sound fades inside its own
               * frames, so the card stays silent to its first and last
               * sample. */
              Piece *sounding = piece->card != NULL ? prev : piece;
              gint64 len = sounding->audio_end - sounding->audio_first;
              gint64 ramp = MIN (2 * half_fade, len / 4);

              if (sounding == prev)
                prev->ramp_out = ramp;
              else
                piece->ramp_in = ramp;
              prev->shape_out = piece->shape_in = RAMP_RAISED_COSINE;
            }
          else
            {
              /* A cut (or a fade through black, whose picture goes dark
               * but whose sound only needs to join cleanly): a short
               * cross-fade centred on the cut, reading a little past each
               * edge so the samples at the cut itself keep full level. */
              gint64 prev_len = prev->audio_end - prev->anchor_sample;
              gint64 len = piece->audio_end - piece->anchor_sample;
              gint64 h = MIN (half_fade, MIN (prev_len, len) / 4);

              prev->audio_end += h;
              piece->audio_first -= h;
              piece->ramp_in = prev->ramp_out = 2 * h;
              piece->shape_in = prev->shape_out = RAMP_RAISED_COSINE;
            }

          if (item->transition == AVE_TRANSITION_FADE && item->transition_duration > 0.0)
            {
              gint64 half = grid_frame (c, item->transition_duration / 2.0);
              prev->black_out = MIN (half, (prev->end_frame - prev->first_frame) / 2);
              piece->black_in = MIN (half, (end - first) / 2);
            }
        }
    }

  if (c->n_pieces > 0)
    {
      Piece *last = &c->pieces[c->n_pieces - 1];
      last->ramp_out = MIN (half_fade, (last->audio_end - last->anchor_sample) / 4);
      last->shape_out = RAMP_RAISED_COSINE;
      c->n_frames = last->end_frame;
    }
}

/* The plan's OVERLAY cards on the output grid, clipped to the output. */
static void
plan_overlays (Composer *c,
               AvePlan  *plan)
{
  guint n_cards = ave_plan_get_n_cards (plan);

  c->overlays = g_new0 (Overlay, MAX (n_cards, 1));
  c->n_overlays = 0;
  if (!c->has_video)
    return;

  for (guint i = 0; i < n_cards; i++)
    {
      const AveCard *card = ave_plan_get_card (plan, i);
      Overlay *o;
      gint64 first, end;

      if (card->kind != AVE_CARD_OVERLAY || card->opacity <= 0.0)
        continue;
      first = grid_frame (c, card->output_time);
      end = MIN (grid_frame (c, card->output_time + card->duration), c->n_frames);
      if (end <= first)
        continue;

      o = &c->overlays[c->n_overlays++];
      o->card = ave_card_copy (card);
      o->first_frame = first;
      o->end_frame = end;
      if (card->transition != AVE_TRANSITION_CUT && card->transition_duration > 0.0)
        o->fade_frames = MIN (grid_frame (c, card->transition_duration), (end - first) / 2);
      ave_card_get_overlay_box (card, c->draw_width, c->draw_height,
                                &o->draw_box[0], &o->draw_box[1], &o->draw_box[2], &o->draw_box[3]);
    }
}

static inline float
ramp_gain (RampShape shape,
           double    u)
{
  if (shape == RAMP_EQUAL_POWER)
    return (float) sin (G_PI_2 * u);
  return (float) (0.5 - 0.5 * cos (G_PI * u));
}

static inline float
piece_envelope (const Piece *p,
                gint64       pos)
{
  if (pos < p->audio_first + p->ramp_in)
    return ramp_gain (p->shape_in, ((double) (pos - p->audio_first) + 0.5) / (double) p->ramp_in);
  if (pos >= p->audio_end - p->ramp_out)
    return ramp_gain (p->shape_out, ((double) (p->audio_end - pos) - 0.5) / (double) p->ramp_out);
  return 1.0f;
}

/* ------------------------------------------------------------ readers */

/* Reading on is cheaper than seeking (which decodes again from the
 * previous keyframe) when the next piece starts at most this far ahead:
 * the usual case when an edit only removes pauses. */
#define READ_ON_MAX_S 2.0
/* Sound decoded before where a seek of an audio-only reader starts:
 * several frames of any common codec (AAC 21 ms, MP3 24 ms, Opus 20 ms). */
#define SOUND_PREROLL_S 0.1

static Reader *
reader_new (Composer                    *c,
            const AveMediaSourceOptions *options,
            GError                     **error)
{
  g_autoptr(Reader) r = g_new0 (Reader, 1);
  g_autoptr(GError) local_error = NULL;

  if (c->proxy_path != NULL && options->want_video)
    {
      AveMediaSourceOptions pictures = *options;

      /* the proxy is upright already and keeps the source's clock */
      pictures.want_audio = FALSE;
      pictures.apply_rotation = FALSE;
      pictures.zero_clock = TRUE;
      r->source = ave_media_source_open (c->proxy_path, &pictures, &local_error);
      if (r->source == NULL)
        {
          /* Removed meanwhile (the cache cleared or trimmed): the source's
           * own pictures are the same ones, only slower to seek in. */
          g_warning ("The preview reads %s again instead of its proxy: %s",
                     c->source_path, local_error->message);
          g_clear_pointer (&c->proxy_path, g_free);
          return reader_new (c, options, error);
        }
      if (options->want_audio)
        {
          AveMediaSourceOptions sound = *options;

          sound.want_video = FALSE;
          r->sound = ave_media_source_open (c->source_path, &sound, error);
          if (r->sound == NULL)
            return NULL;
        }
    }
  else
    {
      r->source = ave_media_source_open (c->source_path, options, error);
      if (r->source == NULL)
        return NULL;
    }
  r->want_video = options->want_video;
  r->want_audio = options->want_audio;
  r->audio_expected = G_MININT64;
  return g_steal_pointer (&r);
}

/* Whether `r` can reach video time `seconds` and audio sample
 * `first_sample` by reading on from where it stands. */
static gboolean
reader_can_read_on (Reader *r,
                    double  seconds,
                    gint64  first_sample)
{
  if (!r->positioned || r->video_eof || r->audio_eof)
    return FALSE;
  if (r->want_audio &&
      (first_sample < r->next_sample || first_sample - r->next_sample > READ_ON_MAX_S * OUTPUT_RATE))
    return FALSE;
  if (r->want_video)
    {
      gint64 target = (gint64) (seconds * AV_TIME_BASE);
      if (r->video_cur == NULL || target < r->video_cur->pts ||
          target - r->video_cur->pts > (gint64) (READ_ON_MAX_S * AV_TIME_BASE))
        return FALSE;
    }
  return TRUE;
}

/* Positions `r` so that its audio delivers source sample `first_sample`
 * next and its pictures start at `video_seconds`. */
static gboolean
reader_start (Composer     *c,
              Reader       *r,
              double        video_seconds,
              gint64        first_sample,
              GError      **error)
{
  double seek_to = video_seconds;

  if (reader_can_read_on (r, video_seconds, first_sample))
    {
      r->next_sample = first_sample;
      return TRUE;
    }
  if (r->want_audio)
    seek_to = MIN (seek_to, (double) first_sample / OUTPUT_RATE);
  reader_clear_frames (r);
  r->next_sample = first_sample;
  r->positioned = TRUE;
  if (r->sound != NULL)
    /* Pictures from the proxy, sound from the source.  Beside the
     * pictures the sound would start decoding at the video's keyframe;
     * alone the demuxer lands right at the time asked, and an audio
     * decoder's first frame after a seek lacks the one before it to
     * overlap with (AAC: the first 20 ms come out wrong).  A little
     * earlier, the samples wanted come out of a decoder under way. */
    return ave_media_source_seek (r->source, MAX (video_seconds, 0.0), error) &&
           ave_media_source_seek (r->sound, MAX (seek_to - SOUND_PREROLL_S, 0.0), error);
  return ave_media_source_seek (r->source, MAX (seek_to, 0.0), error);
}

/* Delivers n source samples per channel starting at r->next_sample into
 * dst; missing audio (before the start, in gaps, after the end) is silence. */
static gboolean
reader_read_audio (Composer  *c,
                   Reader    *r,
                   float    **dst,
                   gsize      n,
                   GError   **error)
{
  gsize done = 0;

  while (done < n)
    {
      gint64 end;

      if (r->audio == NULL)
        {
          g_autoptr(GError) local_error = NULL;
          AVFrame *frame;
          gint64 start;

          if (r->audio_eof)
            {
              for (int ch = 0; ch < c->channels; ch++)
                memset (dst[ch] + done, 0, (n - done) * sizeof (float));
              r->next_sample += (gint64) (n - done);
              return TRUE;
            }
          frame = ave_media_source_read_audio (r->sound != NULL ? r->sound : r->source, &local_error);
          if (frame == NULL)
            {
              if (local_error != NULL)
                {
                  g_propagate_error (error, g_steal_pointer (&local_error));
                  return FALSE;
                }
              r->audio_eof = TRUE;
              continue;
            }
          if (frame->nb_samples <= 0)
            {
              av_frame_free (&frame);
              continue;
            }
          if (frame->pts == AV_NOPTS_VALUE)
            start = r->audio_expected != G_MININT64 ? r->audio_expected : r->next_sample;
          else
            start = av_rescale_rnd (frame->pts, OUTPUT_RATE, AV_TIME_BASE, AV_ROUND_NEAR_INF);
          if (r->audio_expected != G_MININT64 && ABS (start - r->audio_expected) <= AUDIO_SNAP_SAMPLES)
            start = r->audio_expected;
          r->audio = frame;
          r->audio_start = start;
          r->audio_expected = start + frame->nb_samples;
        }

      end = r->audio_start + r->audio->nb_samples;
      if (end <= r->next_sample)
        {
          av_frame_free (&r->audio);
          continue;
        }
      if (r->audio_start > r->next_sample)
        {
          gsize gap = (gsize) MIN ((gint64) (n - done), r->audio_start - r->next_sample);
          for (int ch = 0; ch < c->channels; ch++)
            memset (dst[ch] + done, 0, gap * sizeof (float));
          done += gap;
          r->next_sample += (gint64) gap;
          continue;
        }

      {
        gsize offset = (gsize) (r->next_sample - r->audio_start);
        gsize take = (gsize) MIN ((gint64) (n - done), end - r->next_sample);
        int frame_channels = r->audio->ch_layout.nb_channels;

        for (int ch = 0; ch < c->channels; ch++)
          {
            const float *src = (const float *) r->audio->extended_data[MIN (ch, frame_channels - 1)];
            memcpy (dst[ch] + done, src + offset, take * sizeof (float));
          }
        done += take;
        r->next_sample += (gint64) take;
      }
    }
  return TRUE;
}

/* The decoded frame nearest to source time `t` (the last one starting no
 * later than half an output frame after t), or NULL when the video has no
 * frame at all there.  Repeats frames when the source is slower than the
 * output grid and skips them when it is faster, so VFR sources come out
 * CFR. */
static const AVFrame *
reader_pick_video (Composer  *c,
                   Reader    *r,
                   double     t,
                   GError   **error)
{
  gint64 limit = (gint64) floor ((t + 0.5 / av_q2d (c->fps)) * AV_TIME_BASE) - 1;

  for (;;)
    {
      if (r->video_next == NULL && !r->video_eof)
        {
          g_autoptr(GError) local_error = NULL;

          r->video_next = ave_media_source_read_video (r->source, &local_error);
          if (r->video_next == NULL)
            {
              if (local_error != NULL)
                {
                  g_propagate_error (error, g_steal_pointer (&local_error));
                  return NULL;
                }
              r->video_eof = TRUE;
            }
        }
      if (r->video_next == NULL)
        break;
      if (r->video_cur != NULL && r->video_next->pts > limit)
        break;
      av_frame_free (&r->video_cur);
      r->video_cur = g_steal_pointer (&r->video_next);
    }
  return r->video_cur;
}

/* The longest sound a finished piece may still owe when it gives up its
 * reader (one frame plus the cut's cross-fade, with room to spare). */
#define MAX_TAIL_SAMPLES (OUTPUT_RATE / 4)

/* A piece whose pictures are all written only owes the end of its sound:
 * read that into memory and give its reader back.  At a cut the next piece
 * then reuses the same decoder instead of opening a second one (a 1080p
 * H.264 decoder holds tens of megabytes of reference frames). */
static gboolean
piece_drain (Composer  *c,
             Piece     *p,
             gint64     output_pos,
             GError   **error)
{
  gint64 from = MAX (output_pos, p->audio_first);
  gsize n = (gsize) MAX (0, p->audio_end - from);

  for (int ch = 0; ch < c->channels; ch++)
    p->tail[ch] = g_new (float, MAX (n, 1));
  if (n > 0 && !reader_read_audio (c, p->reader, p->tail, n, error))
    return FALSE;
  p->tail_len = n;
  p->tail_pos = 0;
  p->drained = TRUE;
  g_ptr_array_add (c->free_readers, g_steal_pointer (&p->reader));
  return TRUE;
}

static gboolean
piece_read_audio (Composer  *c,
                  Piece     *p,
                  float    **dst,
                  gsize      n,
                  GError   **error)
{
  gsize take;

  if (!p->drained)
    return reader_read_audio (c, p->reader, dst, n, error);

  take = MIN (n, p->tail_len - p->tail_pos);
  for (int ch = 0; ch < c->channels; ch++)
    {
      memcpy (dst[ch], p->tail[ch] + p->tail_pos, take * sizeof (float));
      memset (dst[ch] + take, 0, (n - take) * sizeof (float));
    }
  p->tail_pos += take;
  return TRUE;
}

static AveYuvFrame yuv_view (Composer *c, const AVFrame *frame);

/* Cards, overlays and captions are laid out and drawn at the render's
 * size (draw_width x draw_height) whatever size the composition works at.
 * Text drawn small is hinted, rounded and placed differently from text
 * drawn large, so a smaller composition (the preview) shrinks the render's
 * own drawing instead: each of its pixels is the area average of what it
 * covers (in premultiplied alpha, transparent outside the drawing), as
 * shrinking the rendered frame would give.  *rgba (g_free'd) and its box
 * (x, y, width, height at the render's size) are replaced. */
static void
fit_drawing (Composer  *c,
             guint8   **rgba,
             int       *stride,
             int       *x,
             int       *y,
             int       *width,
             int       *height)
{
  double sx = (double) c->width / (double) c->draw_width;
  double sy = (double) c->height / (double) c->draw_height;
  int ox0, oy0, ow, oh, w = *width, h = *height;
  g_autofree float *rows = NULL;
  guint8 *out;

  if (c->width == c->draw_width && c->height == c->draw_height)
    return;

  ox0 = (int) floor (*x * sx);
  oy0 = (int) floor (*y * sy);
  ow = MAX (1, (int) ceil ((*x + w) * sx) - ox0);
  oh = MAX (1, (int) ceil ((*y + h) * sy) - oy0);

  /* across: each source row into ow premultiplied columns */
  rows = g_new0 (float, (gsize) h * (gsize) ow * 4);
  for (int i = 0; i < ow; i++)
    {
      double lo = (ox0 + i) / sx - *x, hi = (ox0 + i + 1) / sx - *x;
      int j0 = MAX (0, (int) floor (lo)), j1 = MIN (w, (int) ceil (hi));

      for (int j = j0; j < j1; j++)
        {
          float weight = (float) ((MIN (j + 1.0, hi) - MAX ((double) j, lo)) * sx);

          for (int r = 0; r < h; r++)
            {
              const guint8 *px = *rgba + (gsize) r * (gsize) *stride + 4 * (gsize) j;
              float *acc = rows + ((gsize) r * (gsize) ow + (gsize) i) * 4;
              float a = weight * px[3] / 255.0f;

              acc[0] += a * px[0];
              acc[1] += a * px[1];
              acc[2] += a * px[2];
              acc[3] += a;
            }
        }
    }

  /* down: the rows into oh output rows, back to straight alpha */
  out = g_malloc0 ((gsize) ow * (gsize) oh * 4);
  for (int k = 0; k < oh; k++)
    {
      double lo = (oy0 + k) / sy - *y, hi = (oy0 + k + 1) / sy - *y;
      int r0 = MAX (0, (int) floor (lo)), r1 = MIN (h, (int) ceil (hi));

      for (int i = 0; i < ow; i++)
        {
          float acc[4] = { 0, 0, 0, 0 };
          guint8 *px = out + ((gsize) k * (gsize) ow + (gsize) i) * 4;

          for (int r = r0; r < r1; r++)
            {
              float weight = (float) ((MIN (r + 1.0, hi) - MAX ((double) r, lo)) * sy);
              const float *src = rows + ((gsize) r * (gsize) ow + (gsize) i) * 4;

              for (int ch = 0; ch < 4; ch++)
                acc[ch] += weight * src[ch];
            }
          if (acc[3] > 1e-6f)
            for (int ch = 0; ch < 3; ch++)
              px[ch] = (guint8) CLAMP (lrintf (acc[ch] / acc[3]), 0, 255);
          px[3] = (guint8) CLAMP (lrintf (acc[3] * 255.0f), 0, 255);
        }
    }

  g_free (*rgba);
  *rgba = out;
  *stride = 4 * ow;
  *x = ox0;
  *y = oy0;
  *width = ow;
  *height = oh;
}

/* A TITLE card's piece: its picture is drawn once, when it starts. */
static gboolean
card_activate (Composer  *c,
               Piece     *p,
               GError   **error)
{
  g_autofree guint8 *rgba = NULL;
  AveYuvFrame view;
  int stride;

  p->active = TRUE;
  g_debug ("title card \"%s\": frames %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT,
           p->card->title != NULL ? p->card->title : "", p->first_frame, p->end_frame);
  if (!c->has_video)
    return TRUE;

  if (!ave_card_render_rgba (p->card, c->draw_width, c->draw_height, &rgba, &stride, error))
    return FALSE;
  {
    int x = 0, y = 0, w = c->draw_width, h = c->draw_height;
    fit_drawing (c, &rgba, &stride, &x, &y, &w, &h);
  }
  p->still = _ave_av_frame_new_yuv420p (c->width, c->height);
  if (p->still == NULL)
    {
      g_set_error_literal (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
                           "Out of memory for video frames");
      return FALSE;
    }
  view = yuv_view (c, p->still);
  return ave_compute_rgba_to_yuv (c->compute, rgba, stride, &view, error);
}

/* Starts piece p from its start (from_frame < 0: its pictures from its
 * first frame, its sound from its first sample, which at a cut lies a few
 * milliseconds earlier), or after a seek from output frame `from_frame`:
 * its pictures from there and its sound from the frame's first sample (or
 * its own first sample, whichever is later). */
static gboolean
piece_activate_at (Composer  *c,
                   Piece     *p,
                   gint64     frames_written,
                   gint64     from_frame,
                   GError   **error)
{
  gint64 from_sample = from_frame < 0 ? p->audio_first : MAX (p->audio_first, grid_sample (c, from_frame));
  gint64 first_sample = p->src_anchor_sample - (p->anchor_sample - from_sample);
  double video_start = p->src_start + (double) MAX (from_frame - p->first_frame, 0) / av_q2d (c->fps);
  Reader *r = NULL;

  if (p->card != NULL)
    return card_activate (c, p, error);

  if (c->free_readers->len == 0 && c->has_audio)
    for (guint i = c->first_live; i < c->n_pieces && &c->pieces[i] != p; i++)
      {
        Piece *q = &c->pieces[i];

        if (q->active && q->card == NULL && !q->drained && q->end_frame <= frames_written &&
            q->audio_end - grid_sample (c, frames_written) <= MAX_TAIL_SAMPLES)
          {
            if (!piece_drain (c, q, grid_sample (c, frames_written), error))
              return FALSE;
            break;
          }
      }

  /* Prefer a reader that only has to read on. */
  for (guint i = 0; i < c->free_readers->len && r == NULL; i++)
    if (reader_can_read_on (g_ptr_array_index (c->free_readers, i), video_start, first_sample))
      r = g_ptr_array_steal_index (c->free_readers, i);
  if (r == NULL && c->free_readers->len > 0)
    r = g_ptr_array_steal_index (c->free_readers, c->free_readers->len - 1);
  if (r == NULL)
    r = reader_new (c, &c->options, error);
  if (r == NULL)
    return FALSE;
  p->reader = r;
  p->active = TRUE;

  /* Audio may start a few milliseconds before the first frame (the
   * cross-fade at a cut reads past the edge). */
  g_debug ("piece at %.3f s: frames %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT "%s",
           video_start, p->first_frame, p->end_frame,
           reader_can_read_on (r, video_start, first_sample) ? ", reading on" : ", seeking");
  return reader_start (c, r, video_start, first_sample, error);
}

static gboolean
piece_activate (Composer  *c,
                Piece     *p,
                gint64     frames_written,
                GError   **error)
{
  return piece_activate_at (c, p, frames_written, -1, error);
}

static void
piece_deactivate (Composer *c,
                  Piece    *p)
{
  if (p->reader != NULL)
    g_ptr_array_add (c->free_readers, g_steal_pointer (&p->reader));
  av_frame_free (&p->still);
  piece_clear_tail (p);
  p->active = FALSE;
  p->done = TRUE;
}

/* ------------------------------------------------------------ video */

/* Every picture of a composition is in the source's matrix: cards,
 * overlays and captions are converted to it. */
static AveYuvFrame
yuv_view (Composer      *c,
          const AVFrame *frame)
{
  AveYuvFrame view = {
    .width = frame->width, .height = frame->height,
    .y = frame->data[0], .y_stride = frame->linesize[0],
    .u = frame->data[1], .v = frame->data[2], .uv_stride = frame->linesize[1],
    .matrix = c->matrix,
  };
  return view;
}

static gboolean
frame_matches (Composer      *c,
               const AVFrame *frame)
{
  return frame->width == c->width && frame->height == c->height &&
         frame->format == AV_PIX_FMT_YUV420P;
}

/* A layer of the output frame: a picture used as it is (no work yet), or
 * a working frame of the chain. */
typedef struct
{
  const AVFrame *plain;
  gboolean       chained;
  guint          frame;
} Layer;

/* The layer's working frame, taking its picture into the chain first. */
static guint
layer_frame (Composer *c,
             Layer    *layer)
{
  if (!layer->chained)
    {
      AveYuvFrame view = yuv_view (c, layer->plain);

      layer->frame = ave_compute_frame_chain_take (c->chain, &view);
      layer->chained = TRUE;
    }
  return layer->frame;
}

/* The piece's picture for output frame f, faded towards black where a FADE
 * transition asks: a picture owned by the reader or c->black, or when it
 * is scaled (compute_scales) or faded a working frame of the chain. */
static gboolean
piece_layer (Composer  *c,
             Piece     *p,
             gint64     f,
             Layer     *layer,
             GError   **error)
{
  double t = p->src_start + (double) (f - p->first_frame) / av_q2d (c->fps);
  g_autoptr(GError) local_error = NULL;
  const AVFrame *src = p->card != NULL ? p->still : reader_pick_video (c, p->reader, t, &local_error);
  gint64 from_start = f - p->first_frame;
  gint64 from_end = p->end_frame - 1 - f;
  guint black_weight = 0;

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  *layer = (Layer) { .plain = c->black };
  if (src != NULL && c->compute_scales && src->format == AV_PIX_FMT_YUV420P && !frame_matches (c, src))
    {
      /* Scaled to the composition's size in the chain. */
      layer->plain = src;
      layer_frame (c, layer);
    }
  else if (src != NULL && frame_matches (c, src))
    layer->plain = src;
  else if (src != NULL)
    g_warning ("decoded frame is %dx%d format %d, expected %dx%d yuv420p; showing black",
               src->width, src->height, src->format, c->width, c->height);

  if (!layer->chained && layer->plain == c->black)
    return TRUE;
  if (from_start < p->black_in)
    black_weight = (guint) (256 * (p->black_in - from_start) / p->black_in);
  if (from_end < p->black_out)
    black_weight = MAX (black_weight, (guint) (256 * (p->black_out - from_end) / p->black_out));
  if (black_weight > 0)
    ave_compute_frame_chain_fade (c->chain, layer_frame (c, layer), black_weight);
  return TRUE;
}

/* Draws the OVERLAY cards of frame f over the layer (in the chain: the
 * picture may be a decoded frame the reader still uses). */
static gboolean
apply_overlays (Composer  *c,
                gint64     f,
                Layer     *layer,
                GError   **error)
{
  for (guint i = 0; i < c->n_overlays; i++)
    {
      Overlay *o = &c->overlays[i];
      double opacity = o->card->opacity;

      if (f < o->first_frame || f >= o->end_frame)
        continue;

      if (o->rgba == NULL)
        {
          if (!ave_card_render_rgba (o->card, o->draw_box[2], o->draw_box[3], &o->rgba, &o->stride, error))
            return FALSE;
          o->x = o->draw_box[0];
          o->y = o->draw_box[1];
          o->width = o->draw_box[2];
          o->height = o->draw_box[3];
          fit_drawing (c, &o->rgba, &o->stride, &o->x, &o->y, &o->width, &o->height);
        }

      /* Fades in and out one step per frame, neither end fully off. */
      if (o->fade_frames > 0)
        {
          gint64 from_start = f - o->first_frame, from_end = o->end_frame - 1 - f;
          gint64 k = MIN (from_start, from_end);

          if (k < o->fade_frames)
            opacity *= (double) (k + 1) / (double) (o->fade_frames + 1);
        }

      ave_compute_frame_chain_overlay (c->chain, layer_frame (c, layer), o->rgba, o->width, o->height,
                                       o->stride, o->x, o->y,
                                       (guint) lround (CLAMP (opacity, 0.0, 1.0) * 255.0));
    }
  return TRUE;
}

/* Draws the caption of frame f (the cue whose final.srt times hold the
 * frame's start) over the layer, above the cards, through the same
 * compute overlay as they are.  The caption is drawn again only when the
 * cue or its highlighted word changes. */
static gboolean
apply_caption (Composer  *c,
               gint64     f,
               Layer     *layer,
               GError   **error)
{
  GArray *cues = c->captions->cues;
  gint64 t_ms = (gint64) floor ((double) f * 1000.0 / av_q2d (c->fps) + 1e-6);
  gint64 start_ms = 0, end_ms = 0;
  const AveCue *cue;
  int word;

  while (c->cue_next < cues->len)
    {
      ave_captions_cue_times_ms (cues, c->cue_next, &start_ms, &end_ms);
      if (t_ms < end_ms)
        break;
      c->cue_next++;
    }
  if (c->cue_next >= cues->len || t_ms < start_ms)
    {
      g_clear_pointer (&c->caption_rgba, g_free);
      c->caption_cue = -1;
      return TRUE;
    }

  cue = &g_array_index (cues, AveCue, c->cue_next);
  word = c->settings->caption_highlight != NULL
         ? ave_caption_word_at (cue, c->captions->words, (double) f / av_q2d (c->fps)) : -1;
  if (c->caption_rgba == NULL || c->caption_cue != (int) c->cue_next || c->caption_word != word)
    {
      g_clear_pointer (&c->caption_rgba, g_free);
      if (!ave_caption_render_rgba (cue, c->captions->words, word, c->settings, c->draw_width, c->draw_height,
                                    &c->caption_rgba, &c->caption_stride, &c->caption_x, &c->caption_y,
                                    &c->caption_width, &c->caption_height, error))
        return FALSE;
      fit_drawing (c, &c->caption_rgba, &c->caption_stride, &c->caption_x, &c->caption_y,
                   &c->caption_width, &c->caption_height);
      c->caption_cue = (int) c->cue_next;
      c->caption_word = word;
    }
  ave_compute_frame_chain_overlay (c->chain, layer_frame (c, layer), c->caption_rgba, c->caption_width,
                                   c->caption_height, c->caption_stride, c->caption_x, c->caption_y, 255);
  c->frames_captioned++;
  return TRUE;
}

/* Runs the frame's chain into c->composed. */
static const AVFrame *
finish_chain (Composer  *c,
              Layer     *layer,
              GError   **error)
{
  AveYuvFrame out;

  if (c->composed == NULL)
    c->composed = _ave_av_frame_new_yuv420p (c->width, c->height);
  /* The encoder may still hold a reference to the last one. */
  if (c->composed == NULL || av_frame_make_writable (c->composed) < 0)
    {
      g_set_error_literal (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
                           "Out of memory for video frames");
      return NULL;
    }
  out = yuv_view (c, c->composed);
  if (!ave_compute_frame_chain_finish (c->chain, layer->frame, &out, error))
    return NULL;
  return c->composed;
}

static void
release_overlays (Composer *c,
                  gint64    frames_written)
{
  for (guint i = 0; i < c->n_overlays; i++)
    if (c->overlays[i].end_frame <= frames_written)
      g_clear_pointer (&c->overlays[i].rgba, g_free);
}

/* Composes output frame f (pieces, dissolve, fades, overlays, captions)
 * and hands it to the consumer: a picture that needs no work as it is,
 * any other through the chain, made into the output frame at once. */
static gboolean
compose_video_frame (Composer  *c,
                     gint64     f,
                     GError   **error)
{
  Piece *active[2] = { NULL, NULL };
  guint n_active = 0;
  Layer layer = { .plain = c->black };
  const AVFrame *picture;

  for (guint i = c->first_live; i < c->n_pieces && n_active < 2; i++)
    {
      Piece *p = &c->pieces[i];
      if (!p->active && !p->done)
        break;
      if (p->first_frame <= f && f < p->end_frame && (p->reader != NULL || p->still != NULL))
        active[n_active++] = p;
    }

  if (n_active == 1 && !piece_layer (c, active[0], f, &layer, error))
    goto fail;
  if (n_active == 2)
    {
      /* Dissolve: the incoming piece's weight rises one step per frame and
       * neither end of the ramp is a plain copy of one side. */
      Layer in = { .plain = NULL };
      gint64 j = f - active[1]->first_frame;
      gint64 span = active[0]->end_frame - active[1]->first_frame;
      guint weight = (guint) ((256 * (j + 1) + (span + 1) / 2) / (span + 1));

      if (!piece_layer (c, active[0], f, &layer, error) ||
          !piece_layer (c, active[1], f, &in, error))
        goto fail;
      layer_frame (c, &layer);
      ave_compute_frame_chain_blend (c->chain, layer.frame, layer_frame (c, &in), weight);
    }
  if (!apply_overlays (c, f, &layer, error))
    goto fail;
  if (c->burn && !apply_caption (c, f, &layer, error))
    goto fail;

  picture = layer.chained ? finish_chain (c, &layer, error) : layer.plain;
  if (picture == NULL)
    return FALSE;
  return c->emit_video (picture, f, c->consumer_data, error);

fail:
  /* The next frame starts with an empty chain. */
  ave_compute_frame_chain_clear (c->chain);
  return FALSE;
}

/* The render's consumer of pictures: the encoder. */
static gboolean
render_video (const AVFrame  *picture,
              gint64          f,
              gpointer        data,
              GError        **error)
{
  Composer *c = data;
  g_autoptr(OutFrame) out = NULL;

  out = av_frame_clone (picture);
  if (out == NULL)
    {
      g_set_error_literal (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
                           "Out of memory for video frames");
      return FALSE;
    }
  /* Decoder hints must not steer the encoder: a decoded I-frame type would
   * force a keyframe at an arbitrary place. */
  out->pts = f;
  out->pict_type = AV_PICTURE_TYPE_NONE;
  out->key_frame = 0;
  while (out->nb_side_data > 0)
    av_frame_remove_side_data (out, out->side_data[0]->type);
  return _ave_mp4_writer_add_video (c->writer, out, error);
}

/* ------------------------------------------------------------ audio */

static gboolean
ensure_audio_buffers (Composer *c,
                      gsize     n)
{
  if (n <= c->buf_len)
    return TRUE;
  for (int ch = 0; ch < c->channels; ch++)
    {
      c->mix[ch] = g_renew (float, c->mix[ch], n);
      c->piece_buf[ch] = g_renew (float, c->piece_buf[ch], n);
    }
  c->interleaved = g_renew (float, c->interleaved, n * (gsize) c->channels);
  c->buf_len = n;
  return TRUE;
}

static void
meter_add_to (Composer      *c,
              ebur128_state *meter,
              float        **planes,
              gsize          n)
{
  for (gsize i = 0; i < n; i++)
    for (int ch = 0; ch < c->channels; ch++)
      c->interleaved[i * (gsize) c->channels + (gsize) ch] = planes[ch][i];
  ebur128_add_frames_float (meter, c->interleaved, n);
}

static void
meter_add (Composer *c,
           float   **planes,
           gsize     n)
{
  meter_add_to (c, c->meter, planes, n);
}

/* Gain, limiter, then the consumer. */
static gboolean
emit_audio (Composer  *c,
            gsize      n,
            GError   **error)
{
  gsize n_out;

  for (int ch = 0; ch < c->channels; ch++)
    for (gsize i = 0; i < n; i++)
      c->mix[ch][i] *= (float) c->gain;
  n_out = _ave_limiter_process (c->limiter, (const float * const *) c->mix, n, c->mix);
  return c->emit_sound ((const float * const *) c->mix, n_out, c->consumer_data, error);
}

/* The render's consumer of sound: the loudness meter and the encoder. */
static gboolean
render_sound (const float * const *planes,
              gsize                n,
              gpointer             data,
              GError             **error)
{
  Composer *c = data;

  meter_add (c, (float **) planes, n);
  return _ave_mp4_writer_add_audio (c->writer, planes, n, error);
}

/* Mixes output samples [from, to) from every piece that sounds there. */
static gboolean
write_audio_range (Composer  *c,
                   gint64     from,
                   gint64     to,
                   GError   **error)
{
  gsize n = (gsize) (to - from);

  if (n == 0)
    return TRUE;
  ensure_audio_buffers (c, n);
  for (int ch = 0; ch < c->channels; ch++)
    memset (c->mix[ch], 0, n * sizeof (float));

  for (guint i = c->first_live; i < c->n_pieces; i++)
    {
      Piece *p = &c->pieces[i];
      gint64 lo = MAX (from, p->audio_first);
      gint64 hi = MIN (to, p->audio_end);

      if (!p->active && !p->done)
        break;
      /* a title card is silence */
      if (!p->active || p->card != NULL || lo >= hi)
        continue;
      if (!piece_read_audio (c, p, c->piece_buf, (gsize) (hi - lo), error))
        return FALSE;
      for (gint64 pos = lo; pos < hi; pos++)
        {
          float g = piece_envelope (p, pos);
          for (int ch = 0; ch < c->channels; ch++)
            c->mix[ch][pos - from] += g * c->piece_buf[ch][pos - lo];
        }
    }
  return emit_audio (c, n, error);
}

static gboolean
finish_audio (Composer  *c,
              GError   **error)
{
  gsize n;

  ensure_audio_buffers (c, _ave_limiter_get_latency (c->limiter));
  n = _ave_limiter_flush (c->limiter, c->mix);
  return c->emit_sound ((const float * const *) c->mix, n, c->consumer_data, error);
}

/* Integrated loudness of the audio the plan keeps, read with a separate
 * audio-only source (cheap: no video is decoded), after `gain` and, when
 * `limit` is set, the same limiter the render uses.  Also gives the highest
 * sample seen before the limiter. */
static gboolean
measure_kept_loudness (Composer      *c,
                       double         gain,
                       gboolean       limit,
                       double         progress_from,
                       double         progress_to,
                       GCancellable  *cancellable,
                       double        *lufs,
                       double        *sample_peak,
                       GError       **error)
{
  AveMediaSourceOptions options = c->options;
  g_autoptr(Reader) reader = NULL;
  g_autoptr(AveLimiter) limiter = NULL;
  ebur128_state *meter;
  gint64 total = 0, done = 0;
  double value = -HUGE_VAL;
  float peak = 0.0f;
  gboolean ok = TRUE;

  options.want_video = FALSE;
  reader = reader_new (c, &options, error);
  if (reader == NULL)
    return FALSE;
  if (limit)
    limiter = _ave_limiter_new (c->channels, OUTPUT_RATE, LIMITER_CEILING_DB,
                                LIMITER_LOOKAHEAD, LIMITER_RELEASE);

  for (guint i = 0; i < c->n_pieces; i++)
    if (c->pieces[i].card == NULL)
      total += c->pieces[i].audio_end - c->pieces[i].audio_first;

  meter = ebur128_init ((unsigned) c->channels, OUTPUT_RATE, EBUR128_MODE_I | EBUR128_MODE_HISTOGRAM);
  /* a chunk also holds the limiter's latency when it is flushed */
  ensure_audio_buffers (c, AUDIO_CHUNK);

  for (guint i = 0; ok && i <= c->n_pieces; i++)
    {
      const Piece *p = i < c->n_pieces ? &c->pieces[i] : NULL;
      gint64 remaining = p != NULL ? p->audio_end - p->audio_first : 0;

      /* Silence does not count towards gated loudness: cards are left out. */
      if (p != NULL && p->card != NULL)
        continue;

      if (p != NULL)
        ok = reader_start (c, reader, p->src_start,
                           p->src_anchor_sample - (p->anchor_sample - p->audio_first), error);
      else if (limiter != NULL)
        meter_add_to (c, meter, c->piece_buf, _ave_limiter_flush (limiter, c->piece_buf));

      while (ok && remaining > 0)
        {
          gsize chunk = (gsize) MIN (remaining, AUDIO_CHUNK);
          gsize n = chunk;

          if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
              !reader_read_audio (c, reader, c->piece_buf, n, error))
            {
              ok = FALSE;
              break;
            }
          for (int ch = 0; ch < c->channels; ch++)
            for (gsize k = 0; k < n; k++)
              {
                peak = MAX (peak, fabsf (c->piece_buf[ch][k]));
                c->piece_buf[ch][k] *= (float) gain;
              }
          if (limiter != NULL)
            n = _ave_limiter_process (limiter, (const float * const *) c->piece_buf, n, c->piece_buf);
          meter_add_to (c, meter, c->piece_buf, n);
          remaining -= (gint64) chunk;
          done += (gint64) chunk;
          report_progress (c, progress_from + (progress_to - progress_from) *
                                              (double) done / (double) MAX (total, 1));
        }
    }
  if (ok)
    ebur128_loudness_global (meter, &value);
  ebur128_destroy (&meter);
  *lufs = value;
  *sample_peak = peak;
  return ok;
}

/* The gain that brings the kept audio to the loudness target.  The limiter
 * that keeps peaks under the ceiling also takes a little loudness away
 * (speech normalised to -14 LUFS often peaks above 0 dBFS); when it will
 * act, a second pass through limiter measures how much, and the gain makes
 * up for it. */
static gboolean
choose_gain (Composer      *c,
             double         progress_share,
             GCancellable  *cancellable,
             GError       **error)
{
  double target = c->settings->loudness_target;
  double measured, limited, peak, gain_db = 0.0, ceiling = pow (10.0, LIMITER_CEILING_DB / 20.0);

  if (!measure_kept_loudness (c, 1.0, FALSE, 0.0, progress_share / 2, cancellable,
                              &measured, &peak, error))
    return FALSE;
  /* Silence (or too little audio to gate) is left as it is rather than
   * amplified into noise. */
  if (isfinite (measured) && measured > -70.0)
    gain_db = CLAMP (target - measured, -MAX_GAIN_DB, MAX_GAIN_DB);
  c->gain = pow (10.0, gain_db / 20.0);
  g_debug ("kept audio measures %.2f LUFS, peak %.2f dBFS: gain %.2f dB",
           measured, 20 * log10 (MAX (peak, 1e-9)), gain_db);

  /* Inter-sample peaks sit at most a few dB over the samples: below that
   * margin the limiter stays idle and costs nothing. */
  if (gain_db == 0.0 || peak * c->gain < ceiling * 0.7)
    return TRUE;

  if (!measure_kept_loudness (c, c->gain, TRUE, progress_share / 2, progress_share, cancellable,
                              &limited, &peak, error))
    return FALSE;
  if (isfinite (limited) && limited < target)
    {
      double make_up = MIN (target - limited, MAX_MAKE_UP_DB);
      gain_db = MIN (gain_db + make_up, MAX_GAIN_DB);
      c->gain = pow (10.0, gain_db / 20.0);
      g_debug ("the limiter takes %.2f LU: gain %.2f dB", target - limited, gain_db);
    }
  return TRUE;
}

/* ------------------------------------------------------------ render */

/* Who scales decoded pictures to the output size (the render's
 * --resolution, the preview's size): with a GPU backend its `scale`
 * kernel, so the pictures are scaled on the device; on the CPU swscale's
 * bicubic in the decoder, which is sharper than the bilinear kernel and
 * about as fast (docs/performance.md).  AVE_COMPOSE_SCALER=compute or
 * =swscale overrides (the tests and bench/bench-gpu.sh compare the two). */
static gboolean
composer_scales_on_compute (AveCompute *compute)
{
  const char *choice = g_getenv ("AVE_COMPOSE_SCALER");

  if (g_strcmp0 (choice, "compute") == 0)
    return TRUE;
  if (g_strcmp0 (choice, "swscale") == 0)
    return FALSE;
  return !ave_compute_is_cpu (compute);
}

static gboolean
setup_format (Composer  *c,
              GError   **error)
{
  const AveMediaInfo *info = c->info;

  c->has_video = info->has_video;
  c->has_audio = info->has_audio;

  if (c->has_video)
    {
      int w = info->display_width > 0 ? info->display_width : info->width;
      int h = info->display_height > 0 ? info->display_height : info->height;
      double rate = info->frame_rate;

      /* --resolution: the source's shape, at most that many lines. */
      if (c->settings->output_height > 0 && (int) c->settings->output_height < h)
        {
          w = (int) lround ((double) w * c->settings->output_height / h);
          h = (int) c->settings->output_height;
        }
      /* 4:2:0 needs even sizes: drop the odd column or row. */
      c->width = c->draw_width = MAX (2, w & ~1);
      c->height = c->draw_height = MAX (2, h & ~1);
      if (!(rate > 0.0 && rate <= 1000.0))
        {
          g_debug ("%s: no usable frame rate (%g), using 30", c->source_path, rate);
          rate = 30.0;
        }
      c->fps = av_d2q (rate, 100000);
      c->matrix = info->matrix == AVE_COLOR_MATRIX_BT709 ? AVE_COMPUTE_MATRIX_BT709 : AVE_COMPUTE_MATRIX_BT601;
    }
  else
    c->fps = (AVRational) { AUDIO_ONLY_GRID, 1 };

  c->channels = c->has_audio ? CLAMP (info->channels, 1, 2) : 0;

  c->options.want_video = c->has_video;
  c->options.want_audio = c->has_audio;
  c->options.video_width = c->width;
  c->options.video_height = c->height;
  c->options.apply_rotation = TRUE;
  c->options.leave_scaling = c->compute_scales = composer_scales_on_compute (c->compute);
  c->options.audio_rate = OUTPUT_RATE;
  c->options.audio_channels = c->channels;
  /* Two sources may decode at once during a transition. */
  c->options.decoder_threads = (int) CLAMP (c->settings->n_workers / 2, 1, 4);

  if (!c->has_video && !c->has_audio)
    {
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NO_STREAMS,
                   "%s has neither video nor audio to render", c->source_path);
      return FALSE;
    }
  return TRUE;
}

/* The black picture shown where no piece has one, and faded to. */
static gboolean
make_black (Composer  *c,
            GError   **error)
{
  c->black = _ave_av_frame_new_yuv420p (c->width, c->height);
  if (c->black == NULL)
    {
      g_set_error_literal (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
                           "Out of memory for video frames");
      return FALSE;
    }
  for (int y = 0; y < c->height; y++)
    memset (c->black->data[0] + (gsize) y * c->black->linesize[0], 16, (gsize) c->width);
  for (int y = 0; y < (c->height + 1) / 2; y++)
    {
      memset (c->black->data[1] + (gsize) y * c->black->linesize[1], 128, (gsize) (c->width + 1) / 2);
      memset (c->black->data[2] + (gsize) y * c->black->linesize[2], 128, (gsize) (c->width + 1) / 2);
    }
  return TRUE;
}

/* The colour tags of the output: the matrix the pictures are in (the
 * source's, tagged or not), and the source's primaries and transfer, or
 * untagged the usual ones for that matrix (SMPTE 170M for SD, BT.470BG
 * for 576-line PAL).  Players then decode the cards in the colours they
 * were drawn in: untagged SD output is read as BT.709 by some. */
static void
output_colour (Composer           *c,
               AveMp4WriterFormat *format)
{
  gboolean hd = c->matrix == AVE_COMPUTE_MATRIX_BT709;
  gboolean pal = c->info->height == 576 || c->info->height == 288;

  format->colorspace = hd ? AVCOL_SPC_BT709 : (pal ? AVCOL_SPC_BT470BG : AVCOL_SPC_SMPTE170M);
  /* A matrix the kernels do not have (BT.2020, ...): the pictures keep
   * the source's values, so they keep its tag (cards are drawn with the
   * BT.709 or BT.601 guess there, as before). */
  if (c->info->color_space != AVCOL_SPC_UNSPECIFIED && c->info->color_space != AVCOL_SPC_RGB &&
      c->info->color_space != AVCOL_SPC_BT709 && c->info->color_space != AVCOL_SPC_BT470BG &&
      c->info->color_space != AVCOL_SPC_SMPTE170M && c->info->color_space != AVCOL_SPC_FCC)
    format->colorspace = (enum AVColorSpace) c->info->color_space;
  format->primaries = c->info->color_primaries > 0 && c->info->color_primaries != AVCOL_PRI_UNSPECIFIED
                      ? (enum AVColorPrimaries) c->info->color_primaries
                      : hd ? AVCOL_PRI_BT709 : (pal ? AVCOL_PRI_BT470BG : AVCOL_PRI_SMPTE170M);
  format->transfer = c->info->color_transfer > 0 && c->info->color_transfer != AVCOL_TRC_UNSPECIFIED
                     ? (enum AVColorTransferCharacteristic) c->info->color_transfer
                     : hd ? AVCOL_TRC_BT709 : AVCOL_TRC_SMPTE170M;
}

static gboolean
open_output (Composer    *c,
             const char  *output_path,
             GError     **error)
{
  AveMp4WriterFormat format = { 0 };

  if (c->has_video)
    {
      int num = c->info->sample_aspect_num, den = c->info->sample_aspect_den;

      if (num <= 0 || den <= 0)
        num = den = 1;
      /* Rotating the picture a quarter turn turns its pixels too. */
      if (c->info->rotation == 90 || c->info->rotation == 270)
        {
          int tmp = num;
          num = den;
          den = tmp;
        }
      format.width = c->width;
      format.height = c->height;
      format.frame_rate = c->fps;
      format.sample_aspect = av_make_q (num, den);
      output_colour (c, &format);
    }
  if (c->has_audio)
    {
      format.channels = c->channels;
      format.sample_rate = OUTPUT_RATE;
    }
  if (c->captions != NULL && c->settings->embed_subtitles)
    {
      format.cues = c->captions->cues;
      format.language = c->captions->language;
    }

  c->writer = c->sink != NULL ? _ave_mp4_writer_new_for_sink (&format, c->settings, c->sink, error)
                              : _ave_mp4_writer_new (output_path, &format, c->settings, error);
  return c->writer != NULL;
}

/* ------------------------------------------------------------ composition
 *
 * The steps every consumer of a composed plan shares (ave-compose-private.h):
 * the render below and the preview's AveEditStream. */

void
_ave_composition_free (AveComposition *c)
{
  composer_free (c);
}

AveComposition *
_ave_composition_open (AvePlan                  *plan,
                       const AveSettings        *settings,
                       AveCompute               *compute,
                       const AveComposeCaptions *captions,
                       int                       width,
                       int                       height,
                       gboolean                  sound_only,
                       GError                  **error)
{
  g_autoptr(Composer) c = NULL;

  g_return_val_if_fail (AVE_IS_PLAN (plan), NULL);
  g_return_val_if_fail (settings != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  c = g_new0 (Composer, 1);
  c->settings = settings;
  c->compute = compute != NULL ? g_object_ref (compute) : ave_compute_cpu_new ();
  c->last_progress = -1.0;
  c->source_path = g_strdup (ave_plan_get_source (plan));
  c->free_readers = g_ptr_array_new_with_free_func ((GDestroyNotify) reader_free);
  c->captions = captions != NULL && captions->cues != NULL && captions->cues->len > 0 ? captions : NULL;
  c->caption_cue = -1;
  c->gain = 1.0;

  c->info = ave_media_probe (c->source_path, error);
  if (c->info == NULL)
    return NULL;
  if (!ave_plan_validate (plan, c->info->duration, error))
    return NULL;
  if (!setup_format (c, error))
    return NULL;
  if (sound_only)
    {
      if (!c->has_audio)
        {
          g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NO_STREAMS,
                       "%s has no audio to render", c->source_path);
          return NULL;
        }
      c->has_video = c->options.want_video = FALSE;
    }
  else if (c->has_video && width > 0 && height > 0 && (width < c->width || height < c->height))
    {
      /* A smaller picture (the preview): the source's shape within
       * width x height, the size of its preview proxy too.  The decoder
       * scales; cards, overlays and captions are drawn at the render's
       * size and shrunk (fit_drawing). */
      ave_proxy_fit_size (c->info, width, height, &c->width, &c->height);
      c->options.video_width = c->width;
      c->options.video_height = c->height;
    }

  plan_pieces (c, plan);
  plan_overlays (c, plan);
  c->burn = c->has_video && c->captions != NULL && settings->burn_captions;
  if (c->n_pieces == 0)
    {
      g_set_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_EMPTY,
                   "The plan for %s keeps nothing long enough to show", c->source_path);
      return NULL;
    }
  if (c->has_video && !make_black (c, error))
    return NULL;
  if (c->has_video)
    c->chain = ave_compute_frame_chain_new (c->compute, c->width, c->height, c->matrix);
  g_debug ("%u pieces, %" G_GINT64_FORMAT " frames at %d/%d fps, plan says %.3f s",
           c->n_pieces, c->n_frames, c->fps.num, c->fps.den, ave_plan_get_output_duration (plan));
  return g_steal_pointer (&c);
}

AveYuvFrame
_ave_composition_view (AveComposition *c,
                       const AVFrame  *picture)
{
  return yuv_view (c, picture);
}

void
_ave_composition_get_format (AveComposition *c,
                             int            *width,
                             int            *height,
                             AVRational     *fps,
                             int            *channels,
                             gint64         *n_frames)
{
  if (width != NULL)
    *width = c->has_video ? c->width : 0;
  if (height != NULL)
    *height = c->has_video ? c->height : 0;
  if (fps != NULL)
    *fps = c->fps;
  if (channels != NULL)
    *channels = c->has_audio ? c->channels : 0;
  if (n_frames != NULL)
    *n_frames = c->n_frames;
}

gint64
_ave_composition_frame_sample (AveComposition *c,
                               gint64          frame)
{
  return grid_sample (c, frame);
}

void
_ave_composition_set_consumer (AveComposition          *c,
                               AveCompositionVideoFunc  video,
                               AveCompositionSoundFunc  sound,
                               gpointer                 data)
{
  c->emit_video = video;
  c->emit_sound = sound;
  c->consumer_data = data;
}

gboolean
_ave_composition_prepare_sound (AveComposition  *c,
                                double           progress_share,
                                GCancellable    *cancellable,
                                GError         **error)
{
  if (!c->has_audio)
    return TRUE;
  if (!choose_gain (c, progress_share, cancellable, error))
    return FALSE;
  c->limiter = _ave_limiter_new (c->channels, OUTPUT_RATE, LIMITER_CEILING_DB,
                                 LIMITER_LOOKAHEAD, LIMITER_RELEASE);
  return TRUE;
}

double
_ave_composition_get_gain_db (AveComposition *c)
{
  return 20.0 * log10 (c->gain);
}

void
_ave_composition_use_gain (AveComposition *c,
                           double          gain_db)
{
  if (!c->has_audio)
    return;
  c->gain = pow (10.0, CLAMP (gain_db, -MAX_GAIN_DB, MAX_GAIN_DB) / 20.0);
  g_clear_pointer (&c->limiter, _ave_limiter_free);
  c->limiter = _ave_limiter_new (c->channels, OUTPUT_RATE, LIMITER_CEILING_DB,
                                 LIMITER_LOOKAHEAD, LIMITER_RELEASE);
}

gboolean
_ave_composition_frame (AveComposition  *c,
                        gint64           f,
                        GError         **error)
{
  gint64 sample_end = grid_sample (c, f + 1);

  /* Pieces whose pictures this frame needs... */
  while (c->next_piece < c->n_pieces && c->pieces[c->next_piece].first_frame <= f)
    if (!piece_activate (c, &c->pieces[c->next_piece++], f, error))
      return FALSE;
  if (c->has_video && !compose_video_frame (c, f, error))
    return FALSE;

  if (c->has_audio)
    {
      /* ...then those whose sound starts in this frame (a few
       * milliseconds early at a cut). */
      while (c->next_piece < c->n_pieces && c->pieces[c->next_piece].audio_first < sample_end)
        if (!piece_activate (c, &c->pieces[c->next_piece++], f + 1, error))
          return FALSE;
      if (!write_audio_range (c, grid_sample (c, f), sample_end, error))
        return FALSE;
    }

  for (guint i = c->first_live; i < c->next_piece; i++)
    {
      Piece *p = &c->pieces[i];
      if (p->active && f + 1 >= p->end_frame &&
          (!c->has_audio || sample_end >= p->audio_end))
        piece_deactivate (c, p);
    }
  while (c->first_live < c->next_piece && c->pieces[c->first_live].done)
    c->first_live++;
  release_overlays (c, f + 1);
  return TRUE;
}

gboolean
_ave_composition_seek (AveComposition  *c,
                       gint64           frame,
                       GError         **error)
{
  gint64 sample = grid_sample (c, frame);

  /* Every piece gives its reader back: a piece that starts again a little
   * ahead of where its reader stands reads on instead of seeking (a step
   * of one frame forward costs one frame). */
  for (guint i = 0; i < c->n_pieces; i++)
    {
      Piece *p = &c->pieces[i];

      if (p->active)
        piece_deactivate (c, p);
      p->active = p->done = p->drained = FALSE;
    }
  c->first_live = c->next_piece = 0;
  c->cue_next = 0;
  c->caption_cue = -1;
  g_clear_pointer (&c->caption_rgba, g_free);
  if (c->limiter != NULL)
    {
      /* Its look-ahead held samples of the old position. */
      _ave_limiter_free (c->limiter);
      c->limiter = _ave_limiter_new (c->channels, OUTPUT_RATE, LIMITER_CEILING_DB,
                                     LIMITER_LOOKAHEAD, LIMITER_RELEASE);
    }

  /* The pieces the frame loop would have finished by now, then those it
   * would be in the middle of, started part-way. */
  while (c->next_piece < c->n_pieces)
    {
      Piece *p = &c->pieces[c->next_piece];

      /* A piece whose pictures are over owes at most the few milliseconds
       * of its cut's cross-fade: a seek does not decode a second source
       * for them (the sound just after a seek to a cut starts with the
       * next piece's fade-in alone). */
      if (p->end_frame <= frame && (!c->has_audio || p->audio_end <= sample || c->has_video))
        {
          p->done = TRUE;
          if (c->first_live == c->next_piece)
            c->first_live++;
        }
      else if (p->first_frame <= frame || (c->has_audio && p->audio_first < sample))
        {
          if (!piece_activate_at (c, p, frame, frame, error))
            return FALSE;
        }
      else
        break;
      c->next_piece++;
    }
  return TRUE;
}

gboolean
_ave_composition_use_proxy (AveComposition  *c,
                            const char      *proxy_path,
                            GError         **error)
{
  g_autoptr(AveMediaInfo) info = NULL;

  if (!c->has_video)
    return TRUE;
  info = ave_media_probe (proxy_path, error);
  if (info == NULL)
    return FALSE;
  /* a proxy of another size (another preview box) would be scaled up */
  if (!info->has_video || info->width < c->width || info->height < c->height)
    {
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED,
                   "%s is not a preview proxy of %s at %dx%d", proxy_path, c->source_path,
                   c->width, c->height);
      return FALSE;
    }
  /* readers of the source's pictures are of no use any more */
  for (guint i = 0; i < c->n_pieces; i++)
    if (c->pieces[i].active)
      piece_deactivate (c, &c->pieces[i]);
  g_ptr_array_set_size (c->free_readers, 0);
  g_free (c->proxy_path);
  c->proxy_path = g_strdup (proxy_path);
  return TRUE;
}

gboolean
_ave_composition_finish_sound (AveComposition  *c,
                               GError         **error)
{
  return !c->has_audio || finish_audio (c, error);
}

/* `audio_sink`: the smart cut (ave-smart-cut.c) copies the pictures and
 * only needs the sound, laid on the same frame grid as the video, encoded
 * into the sink (output_path is then NULL). */
static gboolean
compose_plan (AvePlan            *plan,
              const AveAnalysis  *analysis,
              const AveSettings  *settings,
              AveCompute         *compute,
              const AveComposeCaptions *captions,
              const char         *output_path,
              const AveMp4PacketSink *audio_sink,
              AveComposeResult   *result,
              AveProgressFunc     progress,
              gpointer            progress_data,
              GCancellable       *cancellable,
              GError            **error)
{
  g_autoptr(Composer) c = NULL;
  double prepass_share, out_lufs = -HUGE_VAL;

  g_return_val_if_fail ((output_path != NULL) != (audio_sink != NULL), FALSE);

  c = _ave_composition_open (plan, settings, compute, captions, 0, 0, audio_sink != NULL, error);
  if (c == NULL)
    return FALSE;
  c->sink = audio_sink;
  c->progress = progress;
  c->progress_data = progress_data;
  _ave_composition_set_consumer (c, render_video, render_sound, c);

  prepass_share = c->has_audio ? (c->has_video ? 0.1 : 0.3) : 0.0;
  if (!_ave_composition_prepare_sound (c, prepass_share, cancellable, error))
    return FALSE;
  if (c->has_audio)
    c->meter = ebur128_init ((unsigned) c->channels, OUTPUT_RATE,
                             EBUR128_MODE_I | EBUR128_MODE_HISTOGRAM);

  if (!open_output (c, output_path, error))
    return FALSE;

  for (gint64 f = 0; f < c->n_frames; f++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (!_ave_composition_frame (c, f, error))
        return FALSE;
      /* The last percent is the encoder draining its look-ahead. */
      report_progress (c, prepass_share +
                       (0.99 - prepass_share) * (double) (f + 1) / (double) c->n_frames);
    }

  if (!_ave_composition_finish_sound (c, error))
    return FALSE;
  if (!_ave_mp4_writer_finish (c->writer, error))
    return FALSE;

  if (c->has_audio)
    ebur128_loudness_global (c->meter, &out_lufs);

  if (result != NULL)
    {
      result->video_frames = c->has_video ? c->n_frames : 0;
      result->output_duration = (double) c->n_frames / av_q2d (c->fps);
      result->output_lufs = isfinite (out_lufs) ? MAX (out_lufs, -70.0) : -70.0;
      result->gain_db = 20.0 * log10 (c->gain);
      result->frames_captioned = c->frames_captioned;
    }
  g_debug ("wrote %s: %.3f s, %.2f LUFS (limiter at most %.2f dB)", output_path != NULL ? output_path : "the sound",
           (double) c->n_frames / av_q2d (c->fps), out_lufs,
           c->limiter != NULL ? _ave_limiter_get_max_reduction_db (c->limiter) : 0.0);
  report_progress (c, 1.0);
  return TRUE;
}

gboolean
ave_composer_render (AvePlan            *plan,
                     const AveAnalysis  *analysis,
                     const AveSettings  *settings,
                     AveCompute         *compute,
                     const char         *output_path,
                     AveComposeResult   *result,
                     AveProgressFunc     progress,
                     gpointer            progress_data,
                     GCancellable       *cancellable,
                     GError            **error)
{
  return ave_composer_render_with_captions (plan, analysis, settings, compute, NULL, output_path, result,
                                            progress, progress_data, cancellable, error);
}

/* --resolution asks for fewer lines than the source has: every picture
 * changes, so nothing can be copied. */
static gboolean
render_is_scaled (AvePlan           *plan,
                  const AveSettings *settings)
{
  g_autoptr(AveMediaInfo) info = NULL;

  if (settings->output_height == 0)
    return FALSE;
  info = ave_media_probe (ave_plan_get_source (plan), NULL);
  return info != NULL && info->has_video && (int) settings->output_height < (info->display_height & ~1);
}

gboolean
ave_composer_render_with_captions (AvePlan                  *plan,
                                   const AveAnalysis        *analysis,
                                   const AveSettings        *settings,
                                   AveCompute               *compute,
                                   const AveComposeCaptions *captions,
                                   const char               *output_path,
                                   AveComposeResult         *result,
                                   AveProgressFunc           progress,
                                   gpointer                  progress_data,
                                   GCancellable             *cancellable,
                                   GError                  **error)
{
  gboolean has_cues = captions != NULL && captions->cues != NULL && captions->cues->len > 0;
  g_autoptr(AveSettings) fast = NULL;

  /* Fast mode: a cut-only plan copies the source's untouched GOPs (unless
   * --format-conversion asked for everything re-encoded: smart_cut off).
   * Burned captions change the pictures under every cue: a talk has one
   * on nearly every frame, so the whole video is encoded (the job says
   * how many frames the captions cover). */
  if (settings != NULL && ave_settings_uses_smart_cut (settings) && AVE_IS_PLAN (plan))
    {
      g_autofree char *why = NULL;
      g_autoptr(AveSmartCut) cut = NULL;

      if (has_cues && settings->burn_captions)
        why = g_strdup ("captions are burned into the pictures");
      else if (render_is_scaled (plan, settings))
        why = g_strdup_printf ("--resolution scales the pictures to %u lines", settings->output_height);
      else
        cut = ave_smart_cut_prepare (plan, settings, &why);
      if (cut != NULL)
        return ave_smart_cut_render (cut, settings, captions, output_path, result,
                                     progress, progress_data, cancellable, error);
      /* Fast mode still encodes fast: at the smart cut's preset (never a
       * slower one than the quality level's), not at the quality's. */
      fast = ave_settings_copy (settings);
      g_free (fast->encoder_preset);
      fast->encoder_preset = g_strdup (ave_settings_reencode_preset (settings));
      settings = fast;
      g_message ("Fast mode re-encodes the whole video at the %s preset: %s", settings->encoder_preset, why);
    }
  if (!compose_plan (plan, analysis, settings, compute, captions, output_path, NULL,
                     result, progress, progress_data, cancellable, error))
    return FALSE;
  if (result != NULL)
    {
      result->frames_copied = 0;
      result->frames_reencoded = result->video_frames;
      result->smart_cut = FALSE;
    }
  return TRUE;
}

gboolean
_ave_composer_render_audio (AvePlan            *plan,
                            const AveSettings  *settings,
                            const AveMp4PacketSink *sink,
                            AveComposeResult   *result,
                            AveProgressFunc     progress,
                            gpointer            progress_data,
                            GCancellable       *cancellable,
                            GError            **error)
{
  return compose_plan (plan, NULL, settings, NULL, NULL, NULL, sink,
                       result, progress, progress_data, cancellable, error);
}
