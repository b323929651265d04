#define G_LOG_DOMAIN "ave-remote-asr"

#include "config.h"

#include <math.h>
#include <string.h>

#include "ave-remote-asr.h"
#include "media/ave-media.h"

#define RATE     AVE_ANALYSIS_SAMPLE_RATE
#define PAD      0.2     /* seconds kept around each speech interval */
#define GAP      0.5     /* seconds of silence between intervals in a chunk */
#define WAV_HEAD 44
#define MIN_CHUNK_SECONDS 1    /* an upload limit that cannot hold this much is refused */

#define OPENAI_URL "https://api.openai.com/v1"

/* Written the way people speak, fillers and all: whisper models follow the
 * prompt's style, and keep "um" and "uh" instead of tidying them away. */
static const char filler_prompt[] =
  "Um, so, uh, I was, like, going to say... hmm, well, er, you know, let me, uh, think.";

typedef struct
{
  double  start, end;      /* source seconds */
  GArray *samples;         /* gint16 */
  double  offset;          /* where it starts in its chunk, seconds */
  guint   chunk;
} Region;

typedef struct
{
  GArray *regions;         /* Region, sorted */
  guint   next;            /* the first region not yet complete */
} Reader;

static gboolean
on_audio (const AveAudioChunk *chunk, gpointer user_data, GError **error)
{
  Reader *r = user_data;

  for (gsize i = 0; i < chunk->n_mono; i++)
    {
      double t = chunk->pts + (double) i / RATE;

      while (r->next < r->regions->len && t >= g_array_index (r->regions, Region, r->next).end)
        r->next++;
      if (r->next >= r->regions->len)
        return TRUE;
      {
        Region *region = &g_array_index (r->regions, Region, r->next);

        if (t >= region->start)
          {
            gint16 v = (gint16) lrint (CLAMP (chunk->mono[i], -1.0f, 1.0f) * 32767.0f);
            g_array_append_val (region->samples, v);
          }
      }
    }
  return TRUE;
}

static void
clear_region (gpointer data)
{
  g_clear_pointer (&((Region *) data)->samples, g_array_unref);
}

/* One chunk's regions, GAP apart, as 16 kHz mono samples, in the upload
 * format. */
static GBytes *
chunk_audio (GArray *regions, guint chunk, AveSpeechUploadFormat format, double *seconds, GError **error)
{
  g_autoptr(GArray) pcm = g_array_new (FALSE, TRUE, sizeof (gint16));
  gsize gap_samples = (gsize) (GAP * RATE);
  gboolean first = TRUE;

  for (guint i = 0; i < regions->len; i++)
    {
      Region *region = &g_array_index (regions, Region, i);

      if (region->chunk != chunk)
        continue;
      if (!first)
        g_array_set_size (pcm, pcm->len + gap_samples);   /* zeroed: silence */
      first = FALSE;
      region->offset = (double) pcm->len / RATE;
      g_array_append_vals (pcm, region->samples->data, region->samples->len);
    }
  *seconds = (double) pcm->len / RATE;
  return ave_media_encode_speech ((const gint16 *) pcm->data, pcm->len, RATE, format, error);
}

/* Gives the regions from `from` on their chunks (numbered from
 * `first_chunk`), at most `max_samples` each; an interval longer than a
 * chunk is cut.  Returns the number of chunks in all. */
static guint
plan_chunks (GArray *regions, guint from, guint first_chunk, gsize max_samples)
{
  guint n_chunks = first_chunk;
  gsize used = 0;

  /* Pieces of one interval cut by an earlier plan are joined again: a
   * new plan must not put a gap of silence in the middle of speech. */
  for (guint i = from; i + 1 < regions->len; )
    {
      Region *r = &g_array_index (regions, Region, i);
      Region *next = &g_array_index (regions, Region, i + 1);

      if (next->start != r->end)
        {
          i++;
          continue;
        }
      g_array_append_vals (r->samples, next->samples->data, next->samples->len);
      r->end = next->end;
      g_array_remove_index (regions, i + 1);   /* frees next's samples */
    }

  for (guint i = from; i < regions->len; i++)
    {
      Region *r = &g_array_index (regions, Region, i);
      gsize need = r->samples->len + (used > 0 ? (gsize) (GAP * RATE) : 0);

      if (r->samples->len > max_samples)
        {
          Region tail = { r->start + (double) max_samples / RATE, r->end, g_array_new (FALSE, FALSE, sizeof (gint16)), 0, 0 };

          g_array_append_vals (tail.samples, (gint16 *) r->samples->data + max_samples, r->samples->len - max_samples);
          g_array_set_size (r->samples, max_samples);
          r->end = tail.start;
          g_array_insert_val (regions, i + 1, tail);
          r = &g_array_index (regions, Region, i);
          need = r->samples->len + (used > 0 ? (gsize) (GAP * RATE) : 0);
        }
      if (used > 0 && used + need > max_samples)
        {
          n_chunks++;
          used = 0;
          need = r->samples->len;
        }
      r->chunk = n_chunks;
      used += need;
    }
  return n_chunks + 1;
}

/* multipart/form-data by hand, with a boundary derived from the audio so
 * that the same request has the same body (the response cache's key). */
static GBytes *
multipart (GBytes *audio, AveSpeechUploadFormat format, const char *model, char **content_type)
{
  g_autofree char *digest = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, audio);
  g_autofree char *boundary = g_strdup_printf ("ave-%.32s", digest);
  GByteArray *body = g_byte_array_new ();
  const struct { const char *name, *value; } fields[] = {
    { "model", model },
    { "response_format", "verbose_json" },
    { "timestamp_granularities[]", "word" },
    { "prompt", filler_prompt },
  };
  g_autofree char *file_head = g_strdup_printf ("--%s\r\nContent-Disposition: form-data; name=\"file\"; "
                                                "filename=\"speech.%s\"\r\nContent-Type: %s\r\n\r\n",
                                                boundary, format == AVE_SPEECH_UPLOAD_WAV ? "wav" : "flac",
                                                format == AVE_SPEECH_UPLOAD_WAV ? "audio/wav" : "audio/flac");
  g_autofree char *tail = g_strdup_printf ("\r\n--%s--\r\n", boundary);

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autofree char *part = g_strdup_printf ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n",
                                               boundary, fields[i].name, fields[i].value);
      g_byte_array_append (body, (const guint8 *) part, strlen (part));
    }
  g_byte_array_append (body, (const guint8 *) file_head, strlen (file_head));
  g_byte_array_append (body, g_bytes_get_data (audio, NULL), g_bytes_get_size (audio));
  g_byte_array_append (body, (const guint8 *) tail, strlen (tail));
  *content_type = g_strdup_printf ("multipart/form-data; boundary=%s", boundary);
  return g_byte_array_free_to_bytes (body);
}

typedef struct
{
  GArray *regions;
  guint   chunk;
  GArray *words;           /* AveWord on the recording's clock, word owned */
  const AveSettings *settings;
} ChunkAnswer;

static char *
normalise (const char *text)
{
  g_autofree char *lower = g_utf8_strdown (text, -1);
  GString *out = g_string_new (NULL);

  /* Trim spaces and the punctuation around a word; keep inner apostrophes. */
  for (const char *p = g_strstrip (lower); *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (g_unichar_isalnum (c) || ((c == '\'' || c == '-') && out->len > 0 && g_unichar_isalnum (g_utf8_get_char (g_utf8_next_char (p)))))
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

/* The region of the chunk a chunk time falls in (the nearest one in a gap). */
static const Region *
region_for (GArray *regions, guint chunk, double t)
{
  const Region *best = NULL;
  double best_distance = G_MAXDOUBLE;

  for (guint i = 0; i < regions->len; i++)
    {
      const Region *r = &g_array_index (regions, Region, i);
      double length = (double) r->samples->len / RATE;
      double distance;

      if (r->chunk != chunk)
        continue;
      distance = t < r->offset ? r->offset - t : t > r->offset + length ? t - (r->offset + length) : 0;
      if (distance < best_distance)
        {
          best = r;
          best_distance = distance;
        }
    }
  return best;
}

static gboolean
validate_words (JsonNode *answer, gpointer user_data, GError **error)
{
  ChunkAnswer *c = user_data;
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (answer) ? json_node_get_object (answer) : NULL;
  JsonNode *list = o != NULL ? json_object_get_member (o, "words") : NULL;
  JsonArray *words;
  guint before = c->words->len;

  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the answer has no \"words\" list (does the server support timestamp_granularities[]=word?)");
      return FALSE;
    }
  words = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (words); i++)
    {
      JsonNode *item = json_array_get_element (words, i);
      JsonObject *w;
      JsonNode *text, *start, *end;
      const Region *region;
      double s, e, length;
      g_autofree char *word = NULL;
      AveWord out = { 0 };

      if (!JSON_NODE_HOLDS_OBJECT (item))
        goto invalid;
      w = json_node_get_object (item);
      text = json_object_get_member (w, "word");
      start = json_object_get_member (w, "start");
      end = json_object_get_member (w, "end");
      if (text == NULL || start == NULL || end == NULL || !JSON_NODE_HOLDS_VALUE (text)
          || json_node_get_value_type (text) != G_TYPE_STRING || !JSON_NODE_HOLDS_VALUE (start)
          || !JSON_NODE_HOLDS_VALUE (end))
        goto invalid;
      s = json_node_get_double (start);
      e = json_node_get_double (end);
      if (!isfinite (s) || !isfinite (e) || e < s)
        goto invalid;
      word = normalise (json_node_get_string (text));
      if (*word == '\0')
        continue;
      region = region_for (c->regions, c->chunk, s);
      if (region == NULL)
        continue;
      length = (double) region->samples->len / RATE;
      /* Back on the recording's clock, inside the interval it was said in. */
      out.start = region->start + CLAMP (s - region->offset, 0, length);
      out.end = region->start + CLAMP (e - region->offset, 0, length);
      out.end = MAX (out.end, out.start);
      out.word = g_steal_pointer (&word);
      out.confidence = 1.0;
      out.filler = ave_settings_is_filler_word (c->settings, out.word);
      g_array_append_val (c->words, out);
      continue;

    invalid:
      g_array_set_size (c->words, before);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "words[%u]: expected {\"word\": text, \"start\": seconds, \"end\": seconds}", i);
      return FALSE;
    }
  return TRUE;
}

static void
clear_word (gpointer data)
{
  g_free (((AveWord *) data)->word);
}

gboolean
ave_remote_asr_transcribe (AveRemote          *remote,
                           const char         *input,
                           AveAnalysis        *analysis,
                           const AveSettings  *settings,
                           gsize               max_upload_bytes,
                           GCancellable       *cancellable,
                           GError            **error)
{
  g_autoptr(GArray) regions = g_array_new (FALSE, TRUE, sizeof (Region));
  g_autoptr(GArray) words = g_array_new (FALSE, TRUE, sizeof (AveWord));
  g_autofree char *base = g_strdup (settings->asr_url != NULL ? settings->asr_url : OPENAI_URL);
  g_autofree char *url = NULL;
  g_autofree char *key = NULL;
  g_autofree char *why_no_key = NULL;
  const char *key_provider, *key_url;
  const char *model = settings->asr_model != NULL ? settings->asr_model : "whisper-1";
  Reader reader = { regions, 0 };
  AveMediaReadOptions options = { .frame_step = 1, .want_audio = TRUE, .queue_bytes = 8 * 1024 * 1024 };
  AveMediaReadCallbacks callbacks = { .audio_chunk = on_audio };
  AveSpeechUploadFormat format = g_strcmp0 (settings->asr_upload_format, "wav") == 0 ? AVE_SPEECH_UPLOAD_WAV
                                                                                   : AVE_SPEECH_UPLOAD_FLAC;
  gsize limit = MAX (max_upload_bytes, 64 * 1024);
  /* WAV's size is exact; FLAC's is known only once encoded, so a chunk is
   * first planned at 1 byte a sample (speech compresses to about that) and
   * planned again, smaller, when its encoding passes the limit. */
  gsize max_samples = format == AVE_SPEECH_UPLOAD_WAV ? (limit - WAV_HEAD) / 2 : limit - WAV_HEAD;
  guint n_chunks;

  g_array_set_clear_func (regions, clear_region);
  g_array_set_clear_func (words, clear_word);
  while (strlen (base) > 0 && base[strlen (base) - 1] == '/')
    base[strlen (base) - 1] = '\0';
  url = g_strdup_printf ("%s/audio/transcriptions", base);

  ave_remote_key_target (settings, "asr", &key_provider, &key_url);
  key = ave_remote_find_key ("asr", key_provider, key_url, &why_no_key);
  if (key == NULL && settings->asr_url == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "%s", why_no_key);
      return FALSE;
    }

  /* The speech intervals, padded and merged. */
  for (guint i = 0; i < analysis->speech->len; i++)
    {
      const AveInterval *iv = &g_array_index (analysis->speech, AveInterval, i);
      Region r = { MAX (0.0, iv->start - PAD), iv->end + PAD, NULL, 0, 0 };

      if (regions->len > 0 && r.start <= g_array_index (regions, Region, regions->len - 1).end)
        {
          Region *last = &g_array_index (regions, Region, regions->len - 1);
          last->end = MAX (last->end, r.end);
          continue;
        }
      g_array_append_val (regions, r);
    }
  if (regions->len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "the recording has no speech to send");
      return FALSE;
    }
  for (guint i = 0; i < regions->len; i++)
    g_array_index (regions, Region, i).samples = g_array_new (FALSE, FALSE, sizeof (gint16));
  if (!ave_media_read_for_analysis (input, &options, &callbacks, &reader, cancellable, error))
    return FALSE;

  /* Chunks under the upload limit, on the encoded bytes. */
  n_chunks = plan_chunks (regions, 0, 0, max_samples);

  for (guint chunk = 0; chunk < n_chunks; chunk++)
    {
      double seconds = 0;
      g_autoptr(GBytes) audio = chunk_audio (regions, chunk, format, &seconds, error);
      g_autofree char *content_type = NULL;
      g_autoptr(GBytes) body = NULL;
      g_autoptr(JsonNode) answer = NULL;

      if (audio == NULL)
        return FALSE;
      if (g_bytes_get_size (audio) > limit)
        {
          guint first = 0;

          /* Louder or noisier than planned: smaller chunks from this one on. */
          max_samples = (gsize) ((double) max_samples * limit / g_bytes_get_size (audio) * 0.9);
          if (max_samples < MIN_CHUNK_SECONDS * RATE)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "an upload limit of %" G_GSIZE_FORMAT " bytes holds less than %d s of speech: raise it",
                           limit, MIN_CHUNK_SECONDS);
              return FALSE;
            }
          while (g_array_index (regions, Region, first).chunk != chunk)
            first++;
          n_chunks = plan_chunks (regions, first, chunk, max_samples);
          chunk--;             /* unsigned: wraps, and the loop comes back to this chunk */
          continue;
        }
      body = multipart (audio, format, model, &content_type);
      ChunkAnswer c = { regions, chunk, words, settings };
      AveRemoteCall call = {
        .kind = "transcription",
        .provider = "openai",
        .model = model,
        .url = url,
        .key_header = "Authorization",
        .key = key,
        .content_type = content_type,
        .body = body,
        .audio_seconds = seconds,
      };

      answer = ave_remote_call (remote, &call, validate_words, &c, cancellable, error);
      if (answer == NULL)
        {
          if (n_chunks > 1)
            g_prefix_error (error, "chunk %u of %u: ", chunk + 1, n_chunks);
          return FALSE;
        }
    }

  /* All chunks answered: the service's words replace the recogniser's. */
  g_array_set_size (analysis->words, 0);
  for (guint i = 0; i < words->len; i++)
    {
      const AveWord *w = &g_array_index (words, AveWord, i);
      ave_analysis_add_word (analysis, w->word, w->start, w->end, w->confidence, w->filler);
    }
  g_free (analysis->transcriber);
  analysis->transcriber = g_strdup_printf ("remote:openai/%s", model);
  ave_analysis_sort (analysis);
  return TRUE;
}
